# bash completion for berth, the container runtime with pluggable execution drivers.
# Installed as share/bash-completion/completions/berth; bash-completion loads it on demand.

# The global flags already typed that change where berth looks (configuration, state root), so
# that container ids and driver names come from the same place the completed command will use.
_berth_context_flags() {
    local i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -c | --config | --root)
            [[ -n ${words[i + 1]-} ]] && printf '%s\n%s\n' "${words[i]}" "${words[i + 1]}"
            ((i++))
            ;;
        --config=* | --root=*) printf '%s\n' "${words[i]}" ;;
        esac
    done
}

_berth_container_ids() {
    local -a ctx
    mapfile -t ctx < <(_berth_context_flags)
    "${words[0]}" "${ctx[@]}" list -q 2>/dev/null
}

# Driver names from the `berth drivers` table: the first column after the header, without the
# `*` that marks the default; the closing "(* the default driver)" line is not a driver.
_berth_driver_names() {
    local -a ctx
    mapfile -t ctx < <(_berth_context_flags)
    "${words[0]}" "${ctx[@]}" drivers 2>/dev/null |
        awk 'NR > 1 && $1 !~ /^\(/ { sub(/\*$/, "", $1); print $1 }'
}

# Offers the words of $1 that start with the word being completed.
_berth_reply() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

_berth() {
    local cur prev words cword
    _init_completion -n = || return

    local commands="create delete drivers events exec features kill list logs pause ps resume
        rm run spec start state stop version wait"
    local global_flags="-e --driver -c --config --log-level --log-format --log --debug --root
        --systemd-cgroup -h --help -v --version"

    # Arguments of global flags.
    case $prev in
    -e | --driver)
        _berth_reply "$(_berth_driver_names)"
        return
        ;;
    -c | --config | --log)
        _filedir
        return
        ;;
    --root)
        _filedir -d
        return
        ;;
    --log-level)
        _berth_reply "trace debug info warn error"
        return
        ;;
    --log-format)
        _berth_reply "text json"
        return
        ;;
    esac

    # The command is the first word that is neither a flag nor a global flag's argument.
    local i command="" command_at=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -e | --driver | -c | --config | --log-level | --log-format | --log | --root)
            ((i++))
            ;;
        -*) ;;
        *)
            command=${words[i]}
            command_at=$i
            break
            ;;
        esac
    done

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            _berth_reply "$global_flags"
        else
            _berth_reply "$commands"
        fi
        return
    fi

    # flags: the command's own; value_flags: those of them that take an argument.
    local flags="" value_flags="" takes_id=1
    case $command in
    run | create)
        flags="-b --bundle --pid-file --console-socket --no-pivot --no-new-keyring
            --preserve-fds --network -p --publish"
        [[ $command == run ]] && flags+=" -d --detach"
        takes_id=0
        ;;
    spec) flags="-b --bundle --rootless" takes_id=0 ;;
    drivers) flags="-f --format" takes_id=0 ;;
    list) flags="-f --format -q --quiet" takes_id=0 ;;
    ps) flags="-f --format" value_flags="-f --format" ;;
    kill) flags="-a --all" ;;
    delete | rm) flags="-f --force" ;;
    exec)
        flags="-p --process -t --tty -d --detach -e --env --cwd -u --user --pid-file
            --console-socket --preserve-fds"
        value_flags="-p --process -e --env --cwd -u --user --pid-file --console-socket
            --preserve-fds"
        ;;
    events) flags="--stats --interval" value_flags="--interval" ;;
    logs) flags="-f --follow" ;;
    stop) flags="-t --time" value_flags="-t --time" ;;
    features | version) takes_id=0 ;;
    esac
    flags+=" -h --help"

    # Arguments of the command's own flags.
    case $command:$prev in
    run:-b | run:--bundle | create:-b | create:--bundle | spec:-b | spec:--bundle)
        _filedir -d
        return
        ;;
    *:--pid-file | *:--console-socket | exec:-p | exec:--process)
        _filedir
        return
        ;;
    exec:--cwd)
        _filedir -d
        return
        ;;
    run:--network | create:--network)
        _berth_reply "host none"
        return
        ;;
    *:-f | *:--format)
        if [[ $command == drivers || $command == list || $command == ps ]]; then
            _berth_reply "table json"
            return
        fi
        ;;
    esac

    if [[ $cur == -* ]]; then
        _berth_reply "$flags"
        return
    fi

    # The first word after the command that is neither a flag nor a flag's argument is the
    # container id; for kill the next one is the signal. After exec's id comes the command to
    # run inside the container, whose files the host cannot see: nothing is offered.
    local args=0
    for ((i = command_at + 1; i < cword; i++)); do
        if [[ " ${value_flags//$'\n'/ } " == *" ${words[i]} "* ]]; then
            ((i++))
        elif [[ ${words[i]} != -* ]]; then
            ((args++))
        fi
    done
    if ((takes_id && args == 0)); then
        _berth_reply "$(_berth_container_ids)"
    elif [[ $command == kill && $args -eq 1 ]]; then
        _berth_reply "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT"
    fi
} && complete -F _berth berth
