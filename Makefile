# faker_kafka: one hand-written GNU Makefile.
#   make            build build/faker-kafkad
#   make demo       install what is missing, build, start the local stack, run the daemon
#   make test       install what is missing, build (in parallel), run every test layer, stop the stack
#   make check      static, unit and mock tests only (no servers needed)
#   make static     checks that need no server (compose files, the systemd unit, make install)
#   make system     the system tests on the local stack (started and stopped as needed);
#                   T=test_dq (or T="test_dq test_sinks") runs only those
#   make bench-produce, make bench-rules, make bench-sinks, make bench-peer, make valgrind, make fuzz,
#   make docs, make install, make format, make tidy
# Variables: CI=true adds -Werror; SANITIZE=address,undefined builds into build/san/;
# PREFIX (/usr/local), DESTDIR, SYSCONFDIR (/etc).

CC ?= gcc
PKGS := rdkafka yajl libmongoc-1.0 yaml-0.1 libmicrohttpd libpcre2-8
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

BUILD := build
NPROC := $(shell nproc 2>/dev/null || echo 2)
ifneq ($(SANITIZE),)
BUILD := build/san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wcast-qual -Wpointer-arith -Wundef -Wvla -Wwrite-strings -Wno-format-nonliteral
ifeq ($(CI),true)
WARN += -Werror
endif
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
PKG_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(HARDEN) $(SAN_FLAGS) $(PKG_CFLAGS) \
              -DFK_VERSION='"$(VERSION)"' -MMD -MP $(CFLAGS)
ALL_LDFLAGS := -pthread -pie -Wl,-z,relro,-z,now $(SAN_FLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lm

SRCS := $(wildcard daemon/*.c daemon/*/*.c)
OBJS := $(SRCS:daemon/%.c=$(BUILD)/daemon/%.o) $(BUILD)/gen/dashboard_html.o
LIB_OBJS := $(filter-out $(BUILD)/daemon/main.o,$(OBJS))
BIN := $(BUILD)/faker-kafkad

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
MOCK_SRCS := $(wildcard tests/mock/test_*.c)
MOCK_BINS := $(MOCK_SRCS:tests/mock/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/tests/%)

.PHONY: all deps demo test check static unit mock system bench-produce bench-rules bench-sinks bench-peer valgrind fuzz docs \
        install uninstall format tidy clean stack-up stack-down

all: $(BIN)

$(BUILD)/daemon/%.o: daemon/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Idaemon -c $< -o $@

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Idaemon -Itests/unit -c $< -o $@

$(BUILD)/tests/%.o: tests/mock/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Idaemon -Itests/unit -c $< -o $@

$(BUILD)/tests/%.o: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Idaemon -Itests/unit -c $< -o $@

# The dashboard page, served from memory: daemon/http/dashboard.html as a byte array.
$(BUILD)/gen/dashboard_html.c: daemon/http/dashboard.html
	@mkdir -p $(dir $@)
	{ echo '/* Generated from daemon/http/dashboard.html by the Makefile. */'; \
	  echo 'extern const unsigned char fk_dashboard_html[];'; \
	  echo 'extern const unsigned long fk_dashboard_html_len;'; \
	  echo 'const unsigned char fk_dashboard_html[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0};'; \
	  echo 'const unsigned long fk_dashboard_html_len = sizeof fk_dashboard_html - 1;'; } >$@.tmp
	mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BIN): $(OBJS)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# Every test program links every daemon object but main.o.
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/bench_%: $(BUILD)/tests/bench_%.o $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

# Debian packages the build, the tests and the local stack need; installed when missing.
deps:
	@sh tests/deps.sh

check: static unit mock

static: $(BIN)
	@BUILD=$(BUILD) tests/run.sh static

unit: $(BIN) $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run.sh unit

mock: $(MOCK_BINS)
	@BUILD=$(BUILD) tests/run.sh mock

system: $(BIN) $(BUILD)/tests/bench_generator
	@BUILD=$(BUILD) tests/run.sh system $(T)

# The README's test command: everything, on the real local stack, which it starts and stops.
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BINS) $(MOCK_BINS) $(BENCH_BINS) $(FUZZ_BINS)
	@BUILD=$(BUILD) tests/run.sh all

demo: deps
	@$(MAKE) --no-print-directory all
	@compose/local/stack up
	@eval "$$(compose/local/stack env)"; \
	 echo; \
	 echo "faker-kafkad is producing fake customers to topic custchannel. Watch them with:"; \
	 printf '  %s\n' "kcat -b $$FK_KAFKA_BOOTSTRAP -C -t custchannel -f 'key=%k  %s\n'"; \
	 printf '  %s\n' "kcat -b $$FK_KAFKA_BOOTSTRAP -C -t CUSTEXCEP -X isolation.level=read_committed"; \
	 printf '  %s\n' "kcat -b $$FK_KAFKA_BOOTSTRAP -C -t custchannel.verdicts -X isolation.level=read_committed"; \
	 printf '  %s\n' "kcat -b $$FK_KAFKA_BOOTSTRAP -C -t custnotify -X isolation.level=read_committed"; \
	 printf '  %s\n' "kcat -b $$FK_KAFKA_BOOTSTRAP -C -t custchannel.dlq -X isolation.level=read_committed -f '%h\n%s\n'"; \
	 echo "(the dead letters: input that cannot be read, with headers naming the error)"; \
	 echo "Dashboard: http://127.0.0.1:9464/   Prometheus metrics: http://127.0.0.1:9464/metrics"; \
	 echo "Topics: compose/local/stack kafka-topics --describe --topic custchannel"; \
	 echo "Stop with Ctrl-C; then 'compose/local/stack down' stops Kafka and FerretDB."; \
	 echo; \
	 exec $(BIN) -f -c conf/demo.yaml -r rules/custdq.yaml

stack-up:
	@compose/local/stack up

stack-down:
	@compose/local/stack down

bench-produce: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@tests/bench/produce.sh

bench-rules: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@tests/bench/rules.sh

bench-sinks: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@tests/bench/sinks.sh

# The dq group against a Kafka Streams app of the same query (tests/bench/peer/, built with
# Maven on the first run; Java 17 and Maven from Debian's packages).
bench-peer: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@tests/bench/peer.sh

# libFuzzer targets (clang): every daemon object but main.o, instrumented, in build/fuzz/.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJS := $(filter-out build/fuzz/daemon/main.o build/fuzz/daemon/http/http.o,$(SRCS:daemon/%.c=build/fuzz/daemon/%.o))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -g -O1 -fno-omit-frame-pointer -MMD -MP \
               $(PKG_CFLAGS) -Idaemon
FUZZ_SECONDS ?= 30

build/fuzz/daemon/%.o: daemon/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(filter %.c %.o,$^) $(LIBS) -o $@

# Keep the instrumented objects between fuzz builds (make would delete them as intermediates).
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS)

# Runs each target for FUZZ_SECONDS; the corpus grows in build/fuzz/corpus/, seeded from
# tests/fuzz/corpus/ when present.
fuzz: $(FUZZ_BINS)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh fuzz

valgrind: $(BIN) $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run.sh valgrind

docs: $(BIN)
	$(BIN) --config-reference > docs/configuration.md
	$(BIN) --dump-config -c /dev/null > conf/faker-kafka.yaml

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/faker-kafka \
	    $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/share/faker-kafka
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/faker-kafkad
	@# Keep an operator's edited files: install the shipped ones beside them instead.
	for f in conf/faker-kafka.yaml:faker-kafka.yaml rules/custdq.yaml:rules.yaml rules/jobs.txt:jobs.txt; do \
	    src=$${f%%:*}; dst=$(DESTDIR)$(SYSCONFDIR)/faker-kafka/$${f##*:}; \
	    if [ -e "$$dst" ]; then install -m 0644 $$src "$$dst.dist"; \
	    else install -m 0644 $$src "$$dst"; fi; \
	done
	install -m 0644 $(wildcard rules/*.yaml rules/*.txt) $(DESTDIR)$(PREFIX)/share/faker-kafka/
	install -m 0644 docs/faker-kafkad.8 $(DESTDIR)$(PREFIX)/share/man/man8/faker-kafkad.8
	sed -e 's|/usr/bin/faker-kafkad|$(PREFIX)/bin/faker-kafkad|g' \
	    -e 's|/etc/faker-kafka/|$(SYSCONFDIR)/faker-kafka/|g' systemd/faker-kafka.service \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/faker-kafka.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/faker-kafka.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/faker-kafkad \
	    $(DESTDIR)$(PREFIX)/share/man/man8/faker-kafkad.8 \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/faker-kafka.service
	rm -rf $(DESTDIR)$(PREFIX)/share/faker-kafka
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/faker-kafka/ (configuration); remove it by hand if wanted"

format:
	@# gen_data.c is generated data tables: kept in its packed layout.
	clang-format -i $(filter-out daemon/gen/gen_data.c,$(wildcard daemon/*.c daemon/*/*.c)) \
	    daemon/*.h daemon/*/*.h \
	    tests/unit/*.c tests/unit/*.h tests/mock/*.c tests/bench/*.c

tidy:
	clang-tidy daemon/*.c daemon/*/*.c -- -std=c11 -D_GNU_SOURCE $(PKG_CFLAGS)

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(wildcard $(BUILD)/tests/*.d)
# The fuzz objects too: an edited header rebuilds them like the others.
-include $(wildcard build/fuzz/daemon/*.d build/fuzz/daemon/*/*.d build/fuzz/*.d)
