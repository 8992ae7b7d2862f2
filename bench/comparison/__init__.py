"""The parts of bench/compare.py, which is the entry point (its docstring
says what the comparison does and how to run it).

- common: constants, SETTINGS_NOTES, log/die/run;
- install: the servers' packages, natter's build, versions, the certificate;
- servers: configuration writers and `Server` (start, check, stop by PID);
- machine: the machine's load around each run;
- runs: `Runner`, the interleaved rounds of `natter bench` runs;
- tables: helpers both reports share;
- report, tls_report: the plain and `--tls` sections of docs/performance.md.

Python 3.9+ standard library only."""
