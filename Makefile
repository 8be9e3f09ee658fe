# pam_smsotp: SMS one-time codes for PAM.
#   make            build pam_smsotp.so
#   make demo       a real PAM login against a local simulated SMS gateway
#   make check      every test (unit + PAM through real clients)
#   make coverage   the same tests on a --coverage build; gcovr's line and
#                   branch coverage of the library (build/cov/coverage.txt)
#   make bench      timing, concurrency and memory against curl (root)
#   make install    DESTDIR=, PREFIX=, PAMDIR=
#   make deb        the Debian package libpam-smsotp (debian/), built in a
#                   copy of the tree; the .deb lands in DEB_DIR (build/deb)

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
PAM_LIBDIR := $(or $(shell $(PKG_CONFIG) --variable=libdir pam 2>/dev/null),/lib/$(MULTIARCH))
# pam.pc says /lib/<multiarch> on Debian 12; where /lib is a link to usr/lib
# (merged /usr) that is the same folder as /usr/lib/<multiarch>, the path
# the Debian package uses: name it so, and nothing new goes under /lib.
PAMDIR ?= $(if $(shell test /usr$(PAM_LIBDIR) -ef $(PAM_LIBDIR) && echo same),/usr)$(PAM_LIBDIR)/security
SYSCONFDIR ?= /etc
PYTHON ?= python3

comma := ,
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wcast-qual -Wundef
ifeq ($(WERROR),1)
WARN += -Werror
endif
HARDEN := -fPIC -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fno-strict-aliasing
DEFS := -std=c11 -D_GNU_SOURCE -fvisibility=hidden
# libcurl, libpq and libldap are not linked: sms/curl.c, state/pq.c and
# phone/ldap.c open them at run time (libpq only with limits.store =
# "postgresql", libldap only in the child that asks a phones.ldap server),
# by the soname of the library this is built against.
PKGS := libconfig json-c openssl
DEPCFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) libcurl libpq ldap 2>/dev/null)
DEPLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CURL_LIBDIR := $(shell $(PKG_CONFIG) --variable=libdir libcurl 2>/dev/null)
CURL_SONAME := $(or $(shell objdump -p $(CURL_LIBDIR)/libcurl.so 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }'),libcurl.so.4)
LDAP_LIBDIR := $(or $(shell $(PKG_CONFIG) --variable=libdir ldap 2>/dev/null),/usr/lib/$(MULTIARCH))
LDAP_SONAME := $(or $(shell objdump -p $(LDAP_LIBDIR)/libldap.so 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }'),libldap-2.5.so.0)
PQ_LIBDIR := $(shell $(PKG_CONFIG) --variable=libdir libpq 2>/dev/null)
PQ_SONAME := $(or $(shell objdump -p $(PQ_LIBDIR)/libpq.so 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }'),libpq.so.5)
LINK_HARDEN := -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed -Wl,-z,defs

# SANITIZE=1: the same build with AddressSanitizer and UndefinedBehavior-
# Sanitizer, into build/asan/ (the module is build/asan/pam_smsotp.so), so
# that it never mixes with the normal objects; `make check SANITIZE=1` runs
# the whole suite on it.
ifeq ($(SANITIZE),1)
B := build/asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
MODULE_SO := $(B)/pam_smsotp.so
CHECK_ENV := PAM_ASAN=1 MODULE=$(CURDIR)/$(MODULE_SO) SMSOTP_TOOL=$(CURDIR)/$(B)/smsotp \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -z defs cannot see the sanitizer runtime the host preloads
LINK_HARDEN := $(filter-out -Wl$(comma)-z$(comma)defs,$(LINK_HARDEN))
else ifeq ($(COVERAGE),1)
# COVERAGE=1: gcc's --coverage (line and branch counts), into build/cov/,
# unoptimised so that branches map onto the source; `make coverage` runs
# the unit and PAM tests on it and reports with gcovr.
B := build/cov
SANFLAGS := --coverage
MODULE_SO := $(B)/pam_smsotp.so
CHECK_ENV := PAM_COVERAGE=1 MODULE=$(CURDIR)/$(MODULE_SO) SMSOTP_TOOL=$(CURDIR)/$(B)/smsotp
# glibc warns that _FORTIFY_SOURCE needs optimisation
HARDEN := $(filter-out -D_FORTIFY_SOURCE=2,$(HARDEN))
else
B := build
SANFLAGS :=
MODULE_SO := pam_smsotp.so
CHECK_ENV :=
endif
# VALGRIND=1: every pamtester run of the PAM tests under valgrind's
# memcheck (errors and definite/indirect leaks fail the case).
ifeq ($(VALGRIND),1)
CHECK_ENV += PAM_VALGRIND=1 TEST_TIMEOUT=1800
endif
ALL_CFLAGS := $(DEFS) -DSMSOTP_CURL_SONAME='"$(CURL_SONAME)"' \
	-DSMSOTP_PQ_SONAME='"$(PQ_SONAME)"' -DSMSOTP_LDAP_SONAME='"$(LDAP_SONAME)"' \
	$(WARN) $(HARDEN) \
	$(DEPCFLAGS) $(SANFLAGS) $(CFLAGS)
ifeq ($(COVERAGE),1)
# after CFLAGS, so that its -O2 does not win
ALL_CFLAGS += -O0
endif

LIB_SRCS := util/util.c util/run.c config/config.c config/messages.c config/pamd.c otp/otp.c phone/phone.c \
	phone/ldap.c \
	template/template.c sms/sms.c sms/file.c sms/command.c sms/isolate.c \
	sms/http.c sms/request.c sms/judge.c sms/json.c sms/httpconf.c \
	sms/preset.c sms/url.c sms/curl.c sms/common.c sms/vendors.c state/state.c \
	state/store.c state/store_file.c state/store_pg.c state/pq.c policy/policy.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
MOD_OBJS := $(B)/pam_smsotp.o

UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all demo check unit-check coverage coverage-run install uninstall clean deps lint fuzz bench deb

all: $(MODULE_SO) $(B)/smsotp

# The admin tool, on the module's own code (same configuration reader,
# providers and state store).
TOOL_SRCS := tool/smsotp.c tool/check.c
$(B)/smsotp: $(TOOL_SRCS) tool/check.h $(B)/libsmsotp.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIE -pie -o $@ $(TOOL_SRCS) $(B)/libsmsotp.a \
		-Wl,-z,relro -Wl,-z,now $(LDFLAGS) $(DEPLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libsmsotp.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(MODULE_SO): $(MOD_OBJS) $(B)/libsmsotp.a pam_smsotp.map
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(MOD_OBJS) $(B)/libsmsotp.a \
		-Wl,--version-script=pam_smsotp.map $(LINK_HARDEN) $(LDFLAGS) \
		$(DEPLIBS) -lpam

$(B)/tests/%: tests/unit/%.c tests/unit/testlib.h $(B)/libsmsotp.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=default -DSRCDIR='"$(CURDIR)"' -o $@ $< $(B)/libsmsotp.a \
		$(LDFLAGS) $(DEPLIBS) -lcmocka

deps:
	@sh tests/install-deps.sh

demo: deps all
	@sh tests/demo.sh

check: deps all $(UNIT_TESTS)
	@$(CHECK_ENV) sh tests/run-all.sh $(UNIT_TESTS)

unit-check: all $(UNIT_TESTS)
	@$(CHECK_ENV) sh tests/run-all.sh --unit-only $(UNIT_TESTS)

# Line and branch coverage of the library (every source but tests/) by the
# unit and PAM tests, on its own build (build/cov).  Old counts are removed
# first; the report is build/cov/coverage.txt, its summary printed last.  A
# failed test does not stop the report (the exit status is the tests').
# The send process forks with the parent's counts and ends with _exit, so
# gcov may print a call line gcovr 5.2 cannot read ("returned -2"): those
# call lines are skipped (lines and branches are not affected).
coverage:
	@sh tests/install-deps.sh coverage
	@$(MAKE) --no-print-directory COVERAGE=1 coverage-run

coverage-run: all $(UNIT_TESTS)
	@find $(B) -name '*.gcda' -delete
	@$(CHECK_ENV) sh tests/run-all.sh $(UNIT_TESTS); rc=$$?; \
	gcovr --root $(CURDIR) --exclude '$(CURDIR)/tests/' --exclude-unreachable-branches \
		--gcov-ignore-parse-errors --txt $(B)/coverage.txt --print-summary $(B) | \
		tee $(B)/coverage-summary.txt; \
	exit $$rc

# Static analysis (cppcheck, clang-tidy) and the checks of the built module.
lint: deps all
	@sh tests/lint.sh

# libFuzzer harnesses, FUZZ_SECONDS each (default 60).
fuzz: deps
	@sh tests/fuzz/run.sh

# The module against curl and the PAM floor, on a local nginx TLS gateway
# (issue #7; root; figures in build/bench/).
bench: all
	@sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PAMDIR)
	install -m 0644 $(MODULE_SO) $(DESTDIR)$(PAMDIR)/pam_smsotp.so
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(B)/smsotp $(DESTDIR)$(PREFIX)/sbin/smsotp
	install -d $(DESTDIR)$(PREFIX)/share/doc/pam_smsotp/examples/providers
	install -m 0644 $(filter-out examples/providers,$(wildcard examples/*)) \
		$(DESTDIR)$(PREFIX)/share/doc/pam_smsotp/examples/
	install -m 0644 $(wildcard examples/providers/*) \
		$(DESTDIR)$(PREFIX)/share/doc/pam_smsotp/examples/providers/
	install -d $(DESTDIR)$(SYSCONFDIR)/security
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/security/pam_smsotp.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/security/pam_smsotp.conf"; \
	else \
		install -m 0600 examples/pam_smsotp.conf $(DESTDIR)$(SYSCONFDIR)/security/pam_smsotp.conf; \
	fi
	install -d -m 0700 $(DESTDIR)/var/lib/pam_smsotp
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 man/pam_smsotp.8 $(DESTDIR)$(PREFIX)/share/man/man8/pam_smsotp.8
	install -m 0644 man/smsotp.8 $(DESTDIR)$(PREFIX)/share/man/man8/smsotp.8
	install -m 0644 man/pam_smsotp.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/pam_smsotp.conf.5

# The Debian package: dpkg-buildpackage -us -uc -b in a copy of the tree
# (without .git, build/ and the products .gitignore names), so that its
# clean step (make clean) and its files never touch this tree; the .deb,
# .buildinfo and .changes land in DEB_DIR (under build/ or outside the
# tree), then lintian checks them (any tag not overridden fails).
# The build dependencies are debian/control's (apt-get build-dep ./).
DEB_DIR ?= build/deb
deb:
	rm -rf $(DEB_DIR)/src $(DEB_DIR)/libpam-smsotp*_* $(DEB_DIR)/pam-smsotp_*
	mkdir -p $(DEB_DIR)/src
	tar -cf - --exclude-vcs --exclude=./build --exclude=./pam_smsotp.so \
		--exclude='*.o' --exclude=__pycache__ . | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_DIR)/src
	@if command -v lintian >/dev/null; then \
		echo "lintian $(DEB_DIR)/pam-smsotp_*.changes"; \
		lintian --display-info --pedantic --fail-on error,warning,info,pedantic \
			$(DEB_DIR)/pam-smsotp_*.changes; \
	else \
		echo "lintian is not installed: the package is not checked"; \
	fi
	@ls $(DEB_DIR)/libpam-smsotp_*.deb

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_smsotp.so
	rm -f $(DESTDIR)$(PREFIX)/sbin/smsotp
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/pam_smsotp
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/pam_smsotp.8
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/smsotp.8
	rm -f $(DESTDIR)$(PREFIX)/share/man/man5/pam_smsotp.conf.5

clean:
	rm -rf build pam_smsotp.so

-include $(LIB_OBJS:.o=.d) $(MOD_OBJS:.o=.d)
