#include "cli.hpp"

int main(int argc, char **argv) {
    return berth::host::cli_main(argc, argv);
}
