#!/usr/bin/env python3
"""What bench-e2e writes, from made-up measurements, on each broker:
the capacity report and the result rows say which broker they were
measured on (a report of a run on Apache Kafka once called it the dev
broker), and the report gives the 1% rows beside the 20% ones it plans
on.  And the settings the harness gives kcat and floor.sh's producer are
the service's own (src/kafka_conf.c).  Run by ctest (bench_report); needs
neither a broker nor gnuplot."""
import argparse
import io
import json
import os
import re
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def measurements():
    """data, lat, scale, catchup as the phases return them."""
    data = {}
    for size in run.SIZES:
        for hit in run.HITS:
            for fm in run.FORMATS:
                data[(size, hit, fm)] = {
                    "events_per_s": 1000.0 * hit * (1 + run.FORMATS.index(fm)),
                    "cores": 1.5, "kcat": 1e6,
                    "ready_rss": size * 300.0}
    # The floor of the cells that have one (1M, JSON and Avro).
    for hit in run.HITS:
        for fm in ("json", "avro"):
            data[(1000000, hit, fm)]["floor"] = 4000.0 * hit
    point = {"rate": 100.0, "p50_ms": 10.0, "p99_ms": 20.0, "max_ms": 30.0,
             "warmup_max_ms": 40.0, "matched": 5, "complete": False,
             "inputs_skipped": 7, "notifications_lost": 0}
    lat = {fm: {p: dict(point) for p in run.LOADS}
           for fm in ("json", "avro")}
    scale = {"one": 100.0, "two": 150.0, "workers": 120.0, "cores_one": 1.0,
             "cores_two": 1.8, "cores_workers": 1.4}
    catchup = {"events": 1200000, "fmt": "avro", "hit": 1,
               "events_per_s": 5e5, "kcat": 1e6, "cores": 1.5,
               "peak_rss": 6e8}
    return data, lat, scale, catchup


def dev():
    return run.Broker.__new__(run.Broker)  # not started


def kafka():
    b = run.KafkaBroker.__new__(run.KafkaBroker)  # not started
    b.version = "9.8.7"
    return b


class Report(unittest.TestCase):
    def report(self, broker, measured=None):
        with tempfile.TemporaryDirectory() as d:
            args = argparse.Namespace(results=d, target_rate=100000,
                                      load_start=["0.1", "0.2", "0.3"])
            run.capacity(args, broker, *(measured or measurements()))
            with open(os.path.join(d, "capacity.md")) as f:
                return f.read()

    def test_a_run_on_kafka_says_so(self):
        text = self.report(kafka())
        self.assertIn("on Apache Kafka 9.8.7;", text)
        self.assertIn("reached here on Apache Kafka 9.8.7 (scripts/kafka.sh",
                      text)
        self.assertIn("in a run marked incomplete inputs or notifications "
                      "went unread", text)
        # What the dev broker does is no part of it (item 27's figure of
        # the dev broker is named as such).
        self.assertNotIn("mock cluster", text)
        self.assertNotIn("keeps ~5 MB a partition", text)

    def test_a_run_on_the_dev_broker_says_so(self):
        text = self.report(dev())
        self.assertIn("on the dev broker;", text)
        self.assertIn("librdkafka's mock cluster", text)
        self.assertIn("keeps ~5 MB a partition", text)
        self.assertNotIn("Kafka 9", text)

    def test_both_matching_shares_are_given(self):
        text = self.report(dev())
        # Made up: events/s = 1000 * hit * (format's place + 1).
        self.assertIn("| json | 1% | 1000 | 1.50 | 667 | 1000000 | 0.00 |",
                      text)
        self.assertIn("| avro | 20% | 40000 | 1.50 | 26667 | 1000000 | "
                      "0.04 |", text)
        # The plan: half of JSON at 20%, 20000 events/s, for 100000.
        self.assertIn("**instances: 10**", text)
        self.assertIn("**partitions per input topic: 20**", text)
        self.assertIn("(10000 of 20000 JSON events/s at 20% matching)",
                      text)

    def test_the_floor_is_given_where_measured(self):
        text = self.report(dev())
        self.assertIn("| input | matching | floor (events/s) | floor / kcat "
                      "| service / floor |", text)
        # Avro 20%: 40000 events/s of a floor of 80000, kcat 1000000.
        self.assertIn("| avro | 20% | 80000 | 0.08 | 0.50 |", text)
        self.assertIn("| json | 1% | 4000 | 0.00 | 0.25 |", text)
        self.assertNotIn("| stix | 20% | ", text.split("floor (events/s)")[1])

    def test_no_floor_no_table(self):
        measured = measurements()
        for d in measured[0].values():
            d.pop("floor", None)
        self.assertNotIn("floor", self.report(kafka(), measured))

    def test_every_row_names_its_broker(self):
        res = run.Results("kafka")
        out = io.StringIO()
        with redirect_stdout(out):
            res.add("e2e_x_events_per_s", 1.0, "events/s", "kcat", 0.5)
            res.add("e2e_rss_ready_1M", 2.0, "MB")
        lines = [json.loads(x) for x in out.getvalue().splitlines()]
        self.assertEqual(lines, res.rows)
        self.assertEqual([r["broker"] for r in lines], ["kafka", "kafka"])
        self.assertEqual(lines[0]["ratio"], 0.5)
        self.assertNotIn("ratio", lines[1])


def kafka_conf_table(name):
    """{property: value} of one kv_t table of src/kafka_conf.c."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "src", "kafka_conf.c")) as f:
        src = f.read()
    body = re.search(r"static const kv_t %s\[\] = \{(.*?)\n\};" % name, src,
                     re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return dict(re.findall(r'\{"([^"]+)", "([^"]*)"\}', body))


class Settings(unittest.TestCase):
    def test_kcat_reads_with_the_services_prefetch(self):
        consumer = kafka_conf_table("consumer_defaults")
        self.assertIn("queued.min.messages", consumer)
        for k, v in run.KCAT_AS_SERVICE.items():
            self.assertEqual(consumer.get(k), v, k)

    def test_floor_produces_as_the_service_does(self):
        producer = kafka_conf_table("producer_defaults")
        producer.update(kafka_conf_table("producer_fixed"))
        self.assertIn("compression.type", producer)
        self.assertEqual(run.PRODUCER_AS_SERVICE, producer)


if __name__ == "__main__":
    unittest.main()
