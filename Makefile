# rvisor: the everyday verbs. The build itself is meson + ninja in build/.
#   make          build into build/
#   make guest    build the default guest (kernel + initramfs + root disk) into guest/out/
#   make debian   build a real Debian trixie system (systemd) into guest/out/debian/ (root, ~15 min)
#   make run      build what is missing, then boot the default guest on this terminal
#   make test     all tests: unit tests under ASan/UBSan, ISA tests, system tests
#   make bench    side-by-side benchmark against qemu-system-riscv64
#   make fuzz     libFuzzer targets under ASan/UBSan (clang), FUZZ_TIME seconds each
#                 (not part of `make test`; see tests/fuzz/README.md)
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 120
FUZZ_TARGETS ?= qcow2 http vmconfig ctl cmdline
GUEST_OUT  ?= guest/out
MEM        ?= 512M
CPUS       ?= 1

.PHONY: all deps build guest debian run test unit-test isa-test system-test style-test bench clean \
	fuzz fuzz-build

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) --buildtype=release -Dc_args=-g

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

guest: deps
	guest/build.sh $(GUEST_OUT)

# Debian's kernel, Debian's initramfs and a 2 GiB ext4 root with systemd,
# networkd, openssh and apt (mmdebstrap; needs root). Not part of `make guest`.
debian:
	guest/debian-rootfs.sh $(GUEST_OUT)/debian

# The root disk of `make run`: a qcow2 overlay on the template rootfs.ext4
# (which stays pristine). It keeps the guest's changes from run to run and is
# made afresh, losing them, when `make guest` rebuilds the template.
RUN_DISK   ?= $(GUEST_OUT)/run-root.qcow2

run: build guest
	@if [ ! -e $(RUN_DISK) ] || [ $(GUEST_OUT)/rootfs.ext4 -nt $(RUN_DISK) ]; then \
		rm -f $(RUN_DISK) && \
		$(BUILD)/rvisor img create -f qcow2 -b $(abspath $(GUEST_OUT))/rootfs.ext4 -F raw \
			$(RUN_DISK); \
	fi
	$(BUILD)/rvisor run --kernel $(GUEST_OUT)/Image --initrd $(GUEST_OUT)/initrd.cpio.gz \
		--disk $(RUN_DISK) --net user --append "console=ttyS0 root=/dev/vda" \
		--mem $(MEM) --cpus $(CPUS)

$(ASAN_BUILD)/build.ninja: | deps
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false

unit-test: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(ASAN_BUILD) --print-errorlogs

style-test:
	/usr/bin/python3 tests/style/check.py

isa-test: build
	tests/isa/run.sh $(BUILD)/rvisor

system-test: build guest
	RVISOR=$(CURDIR)/$(BUILD)/rvisor RVISORD=$(CURDIR)/$(BUILD)/rvisord \
		RVCTL=$(CURDIR)/$(BUILD)/rvctl GUEST_DIR=$(CURDIR)/$(GUEST_OUT) \
		/usr/bin/python3 -m pytest -v tests/system

test: style-test unit-test isa-test system-test

bench: build guest
	bench/run

$(FUZZ_BUILD)/build.ninja: | deps
	@tools/install-deps.sh clang libclang-rt-14-dev
	CC=clang meson setup $(FUZZ_BUILD) --buildtype=debugoptimized -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined'

fuzz-build: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) $(foreach t,$(FUZZ_TARGETS),tests/fuzz/fuzz_$(t))

# Seeds are generated (tests/fuzz/make_seeds.sh), the corpora grow in
# $(FUZZ_BUILD)/corpus/<target>, crashes land in $(FUZZ_BUILD)/crashes/.
fuzz: build fuzz-build
	tests/fuzz/make_seeds.sh $(FUZZ_BUILD)/corpus $(BUILD)/rvisor
	mkdir -p $(FUZZ_BUILD)/crashes
	set -e; for t in $(FUZZ_TARGETS); do \
		echo "== fuzz_$$t for $(FUZZ_TIME)s"; \
		$(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) \
			-artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- -print_final_stats=1 \
			$(FUZZ_BUILD)/corpus/$$t $(FUZZ_ARGS); \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
