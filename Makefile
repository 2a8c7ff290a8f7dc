# Thin wrapper around Meson. Every target installs missing Debian packages
# first (scripts/deps.sh: as root it installs them, otherwise it says how).

BUILD   := build
SAN     := build-san
TSAN    := build-tsan
RELEASE := build-release
MESON_SAN_OPTS := -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
	-Doptimization=1 -Dc_args=-fno-sanitize-recover=undefined
# ThreadSanitizer does not model standalone fences, and GCC says so for each
# (-Wtsan). Every access they order is an atomic or an exception-table access
# TSan does not see (util/fixup_access.h), so no race can hide behind one.
MESON_TSAN_OPTS := -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug \
	-Doptimization=1 -Dc_args=-Wno-tsan

FUZZ    := build-fuzz
MESON_FUZZ_OPTS := -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
	-Doptimization=1 -Dfuzz=true -Dtests=false -Dbench=false \
	"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
FUZZ_TIME ?= 60

.PHONY: all deps test tsan bench demo conformance soak fuzz fuzz-run clean

all: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD)

deps:
	@sh scripts/deps.sh

# The full suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test: deps
	@[ -f $(SAN)/build.ninja ] || meson setup $(SAN) $(MESON_SAN_OPTS)
	ninja -C $(SAN)
	meson test -C $(SAN) --print-errorlogs --num-processes 2 $(TESTS)

# The tests of threads racing each other (meson suite 'concurrency') under
# ThreadSanitizer: any report fails the test.
tsan: deps
	@[ -f $(TSAN)/build.ninja ] || meson setup $(TSAN) $(MESON_TSAN_OPTS)
	ninja -C $(TSAN)
	meson test -C $(TSAN) --print-errorlogs --num-processes 2 --suite concurrency $(TESTS)

# Benchmarks: an optimized build without sanitizers; one JSON object per line.
bench: deps
	@[ -f $(RELEASE)/build.ninja ] || meson setup $(RELEASE) -Dbuildtype=release -Dtests=false
	ninja -C $(RELEASE)
	@sh bench/run.sh $(RELEASE)

demo: all
	./$(BUILD)/uiommu demo

# The kernel's own iommufd and VFIO selftests under `uiommu exec`, against
# the ratchet of cases that must pass (tests/conformance/ratchet.txt).
conformance: all
	@bash scripts/conformance.sh $(BUILD)

# The isolation soak (docs/soak.md) on an optimized build: a minute by
# default, SOAK_ARGS to change it; any violation fails.
SOAK_ARGS ?= --seconds 60 --tenants 6
soak: deps
	@[ -f $(RELEASE)/build.ninja ] || meson setup $(RELEASE) -Dbuildtype=release -Dtests=false
	ninja -C $(RELEASE) uiommu
	./$(RELEASE)/uiommu --checker soak --progress $(SOAK_ARGS)

# The libFuzzer harnesses (tests/fuzz): clang, ASan and UBSan, in their
# own build directory. `make fuzz-run` runs each for FUZZ_TIME seconds.
fuzz: deps
	@[ -f $(FUZZ)/build.ninja ] || CC=clang meson setup $(FUZZ) $(MESON_FUZZ_OPTS)
	ninja -C $(FUZZ)

fuzz-run: fuzz
	@sh scripts/fuzz.sh --time $(FUZZ_TIME) $(FUZZ)

clean:
	rm -rf $(BUILD) $(SAN) $(TSAN) $(RELEASE) $(FUZZ)
