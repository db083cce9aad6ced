from bench.bench_planner.runs import _print_table, run

_print_table(run())
