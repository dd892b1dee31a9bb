"""The warehouse route by hand on Apache Spark in local mode (pyspark from the package
index, Java 17): loads a `keydriver example` folder into a Spark table (ratings joined to
the outcome file, cached), runs the query `keydriver sql --dialect spark` prints, with B
Poisson replicates, at Spark's default settings, and writes its result as one CSV file
for `--from-moments`. Prints the two timings.

    python3 benches/spark_route.py /tmp/sim1m 100 /tmp/sums.csv
"""
import glob
import shutil
import sys
import tempfile
import time

from pyspark.sql import SparkSession

import warehouse_query

folder, replicates, out = sys.argv[1], sys.argv[2], sys.argv[3]
query = warehouse_query.query(folder, "spark", replicates)
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.driver.memory", "4g")
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
start = time.time()
ratings = spark.read.option("header", True).csv(f"{folder}/ratings.csv")
nps = spark.read.option("header", True).csv(f"{folder}/nps.csv")
ratings.join(nps, "respondent_id").cache().createOrReplaceTempView("survey")
spark.sql("SELECT COUNT(*) FROM survey").collect()
loaded = time.time()
result = spark.sql(query)
parts = tempfile.mkdtemp()
# Spark's CSV writer escapes quotes as \" unless told the CSV way.
result.coalesce(1).write.mode("overwrite").option("header", True).option("escape", '"').csv(parts)
done = time.time()
shutil.move(glob.glob(f"{parts}/part-*.csv")[0], out)
print(f"load, join and cache {loaded - start:.2f} s; the query with {replicates} replicates {done - loaded:.2f} s")
