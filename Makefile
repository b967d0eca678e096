# Thin wrapper: CMake does the building.  Every target first makes sure the
# Debian packages are there (scripts/deps.sh installs what is missing).
BUILD := build
ASAN  := build/asan
FUZZ  := build/fuzz
# Seconds per fuzz target: `make fuzz` runs long, `make test` briefly.
FUZZ_SECONDS ?= 120
TEST_FUZZ_SECONDS ?= 10
JOBS  ?= $(shell nproc)
MAKEFLAGS += --no-print-directory
CMAKE_FLAGS ?=

.PHONY: all deps deps-bench deps-test build asan test bench bench-live demo clean help

all: build

help:
	@echo "make demo     install missing packages, build, run the demo"
	@echo "make          install missing packages, build build/assetmatch"
	@echo "make test     build, then run every test (also under ASan+UBSan)"
	@echo "make bench    build, then run the benchmarks (bench/README.md)"
	@echo "make bench-e2e  the service end to end against kcat (< 15 min;"
	@echo "               BROKER=kafka on a real Apache Kafka)"
	@echo "make bench-live the live inventory under 100 asset changes/s"
	@echo "make fuzz     run each libFuzzer target (decoders, inventory) for FUZZ_SECONDS"
	@echo "make clean    remove build/"

deps:
	@scripts/deps.sh

deps-bench:
	@scripts/deps.sh --bench

deps-test:
	@scripts/deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DAM_BUILD_BENCH=OFF \
	    "-DAM_SANITIZE=address;undefined" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)

fuzz-build: deps
	@CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug \
	    -DAM_BUILD_TESTS=OFF -DAM_BUILD_BENCH=OFF -DAM_BUILD_FUZZ=ON \
	    "-DAM_SANITIZE=address;undefined;fuzzer-no-link" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ) -j $(JOBS)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

test: deps-test build asan fuzz-build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)
	tests/fuzz/run.sh $(FUZZ) $(TEST_FUZZ_SECONDS)

bench: deps-bench build
	@bench/run.sh $(BUILD)

# The real `assetmatch run` on the dev broker against kcat, and the
# capacity report (bench/README.md, "End to end"); TARGET_RATE is the
# events/s it plans for.
TARGET_RATE ?= 100000
# BROKER=kafka runs it on a real Apache Kafka (scripts/kafka.sh; Java 17).
BROKER ?= dev
bench-e2e: deps-bench build
	@python3 bench/e2e/run.py $(BUILD) --target-rate $(TARGET_RATE) \
	    --broker $(BROKER)

# The live inventory on the dev broker: change to effect, and events/s
# under 100 asset changes/s against a static inventory (bench/README.md,
# "Live inventory under change (issue 5)"; < 5 min).
bench-live: deps-bench build
	@python3 bench/e2e/live.py $(BUILD)

# The dev broker, the sample data of data/demo/ and the service, in one
# process (src/cmd_demo.c).  Only the executable is built, so that a fresh
# machine gets to the demo without compiling the tests and benchmarks.
demo: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target assetmatch
	@$(BUILD)/assetmatch demo

clean:
	rm -rf $(BUILD)
