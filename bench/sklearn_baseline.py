"""scikit-learn baseline for bench/learn.bench.ts: HashingVectorizer over API 3-grams +
PassiveAggressiveClassifier, on the same generated data (one sample per line:
label<TAB>space-separated API names). Prints one JSON object with the timings: of the first
run, and the best of `runs` runs (a fresh classifier each; argument 2, default 1).
Run by /usr/bin/python3 (Debian python3-sklearn)."""
import json
import sys
import time

from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import PassiveAggressiveClassifier


def main(path, runs):
    labels, docs, calls = [], [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, apis = line.rstrip("\n").split("\t", 1)
            labels.append(label)
            docs.append(apis)
            calls += apis.count(" ") + 1
    hv = HashingVectorizer(
        analyzer="word", token_pattern=r"\S+", lowercase=False, ngram_range=(3, 3),
        n_features=2 ** 20, alternate_sign=False, norm=None,
    )
    train_times, classify_times = [], []
    for _ in range(runs):
        clf = PassiveAggressiveClassifier(C=1.0, random_state=1)
        t0 = time.perf_counter()
        x = hv.transform(docs)
        clf.partial_fit(x, labels, classes=sorted(set(labels)))
        train_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        predicted = clf.predict(hv.transform(docs))
        classify_times.append(time.perf_counter() - t0)
    correct = sum(1 for p, l in zip(predicted, labels) if p == l)
    print(json.dumps({"calls": calls, "samples": len(docs),
                      "train_s": train_times[0], "classify_s": classify_times[0],
                      "best_train_s": min(train_times), "best_classify_s": min(classify_times),
                      "train_accuracy": correct / len(docs)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
