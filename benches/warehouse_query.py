"""The query `keydriver sql` prints for a `keydriver example` folder, in one engine's
dialect, with B Poisson replicates: what the by-hand warehouse runs (duckdb_route.py,
spark_route.py) send to their engine, without its closing semicolon."""
import subprocess


def query(folder, dialect, replicates):
    return subprocess.run(
        ["target/release/keydriver", "sql", "--config", f"{folder}/survey.toml", "--target",
         "likelihood_to_recommend", "--dialect", dialect, "--table", "survey", "--replicates", replicates],
        capture_output=True, text=True, check=True,
    ).stdout.rstrip().rstrip(";")
