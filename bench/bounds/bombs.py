"""Writes the bombs of issue #14 into a directory, for bench/bounds/run.sh.

- groups.csv: 0.2 MiB whose sensitive column `zip` takes 20,000 distinct values;
- wide.csv: 16 MiB over five sensitive columns, each with many distinct values;
- strings.parquet: four 16 MiB strings, LZ4-compressed (about 0.25 MiB);
- model.json: a 30 MiB XGBoost-shaped JSON body;
- model-limit.json: JSON just under the default model limit (16 MiB), invalid at its very end,
  so the whole file is parsed before it is refused: the parse's memory at the limit.
"""

import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

out = sys.argv[1]


def path(name):
    return os.path.join(out, name)


with open(path("groups.csv"), "w") as f:
    f.write("repaid,approved,gender,zip\n")
    for i in range(20_000):
        f.write(f"{i % 2},{(i // 2) % 2},{'fm'[i % 2]},{i}\n")

with open(path("wide.csv"), "w") as f:
    f.write("repaid,approved,a,b,c,d,e\n")
    i = 0
    while f.tell() < 16 << 20:
        f.write(f"{i % 2},{(i // 2) % 2},a{i % 1999},b{i % 1997},c{i % 1993},d{i % 1987},e{i % 1979}\n")
        i += 1

big = "a" * (16 << 20)
table = pa.table({"repaid": [1, 0, 1, 0], "approved": [1, 0, 0, 1], "gender": [big] * 4})
pq.write_table(table, path("strings.parquet"), compression="lz4", use_dictionary=False, row_group_size=1)


def model(size, tail):
    tree = '{"split_conditions": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5], "left_children": [1, 3, 5, -1, -1, -1, -1, -1]}'
    with open(path(tail[0]), "w") as f:
        f.write('{"learner": {"gradient_booster": {"model": {"trees": [')
        first = True
        while f.tell() < size:
            f.write(("" if first else ", ") + tree)
            first = False
        f.write(tail[1])


model(30 << 20, ("model.json", "]}}}}\n"))
model((16 << 20) - 4096, ("model-limit.json", "], !}}}}\n"))
