#!/usr/bin/env python3
"""gen-cars.py - write examples/cars.jsonl: N cars (default 3000) as plain
JSON lines {"id", "brand", "model", "color", "year"}, the same every time
(a fixed seed), for the cars example and `make demo`.

Usage: scripts/gen-cars.py [N] > examples/cars.jsonl
"""
import json
import random
import sys

MODELS = {
    "Volvo": ["240", "740", "V70", "XC90"],
    "Saab": ["900", "9000", "9-3", "9-5"],
    "Fiat": ["Panda", "Uno", "500", "Tipo"],
    "Audi": ["80", "100", "A4", "A6"],
    "Toyota": ["Corolla", "Camry", "Yaris", "Prius"],
    "Peugeot": ["205", "306", "406", "508"],
}
COLORS = ["black", "white", "silver", "red", "blue", "green", "yellow"]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rnd = random.Random(20261125)
    brands = sorted(MODELS)
    for i in range(1, n + 1):
        brand = rnd.choice(brands)
        car = {
            "id": "car-%05d" % i,
            "brand": brand,
            "model": rnd.choice(MODELS[brand]),
            "color": rnd.choice(COLORS),
            "year": rnd.randint(1975, 2025),
        }
        sys.stdout.write(json.dumps(car, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
