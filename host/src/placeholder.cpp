namespace berth::host { int placeholder(); } int berth::host::placeholder() { return 0; }
