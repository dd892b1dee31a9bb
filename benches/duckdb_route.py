"""The warehouse route by hand on DuckDB (the `duckdb` Python package): loads a
`keydriver example` folder into a DuckDB table (ratings joined to the outcome file), runs
the query `keydriver sql` prints, with B Poisson replicates, and writes its result as CSV
for `--from-moments`. Prints the two timings.

    python3 benches/duckdb_route.py /tmp/sim1m 100 /tmp/sums.csv
"""
import sys
import time

import duckdb

import warehouse_query

folder, replicates, out = sys.argv[1], sys.argv[2], sys.argv[3]
query = warehouse_query.query(folder, "duckdb", replicates)
con = duckdb.connect()
start = time.time()
con.execute(
    f"CREATE TABLE survey AS SELECT * FROM read_csv_auto('{folder}/ratings.csv', all_varchar=true) r "
    f"JOIN read_csv_auto('{folder}/nps.csv', all_varchar=true) n USING (respondent_id)"
)
loaded = time.time()
con.execute(f"COPY ({query}) TO '{out}' (HEADER)")
print(f"load and join {loaded - start:.2f} s; the query with {replicates} replicates {time.time() - loaded:.2f} s")
