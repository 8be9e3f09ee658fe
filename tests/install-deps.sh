#!/bin/sh
# install-deps.sh: make sure the Debian packages that building pam_smsotp and
# running its tests need are installed.  Quiet when they all are.  As root,
# installs the missing ones (one apt-get update, then apt-get install);
# otherwise prints the command to run and exits 1.
#	install-deps.sh coverage	also gcovr (make coverage)
#
# debhelper, dpkg-dev and lintian: make deb and tests/pam/deb_package.sh
# (no fakeroot: debian/control says Rules-Requires-Root: no).
#
# postgresql-15 (the PostgreSQL store's tests start their own throwaway
# clusters) would create and start a system cluster "main" on port 5432 on
# a first install: when postgresql-common is not installed yet, its
# /etc/postgresql-common/createcluster.conf is written first with
# create_main_cluster = false.  The package's postinst installs that file
# with ucf, which keeps a file already there when nothing asks
# (UCF_FORCE_CONFFOLD=1, and dpkg's --force-confold for the conffiles).
#
# slapd (tests/pam/ldap_source.sh starts its own throwaway servers) would
# configure and start a system directory on a first install: debconf is
# told first that it should configure none (slapd/no_configuration).
set -u

PACKAGES="build-essential pkg-config libpam0g-dev libcurl4-openssl-dev
libssl-dev libconfig-dev libjson-c-dev libcmocka-dev pamtester libpam-wrapper
cppcheck clang-tidy clang libclang-rt-14-dev
libpamtest0-dev libnss-wrapper python3 openssl groff-base man-db
openssh-server openssh-client sudo passwd
postgresql-15 libpq-dev libfaketime
slapd ldap-utils libldap-dev
debhelper dpkg-dev lintian"
[ "${1:-}" = coverage ] && PACKAGES="$PACKAGES gcovr"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps.sh: not a Debian system (no dpkg-query); install by hand:" >&2
	echo "  $(echo $PACKAGES)" >&2
	exit 1
fi

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case $status in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

cmd="DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: missing packages:$missing" >&2
	echo "run as root:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi

echo "install-deps.sh: installing$missing"
apt-get update || exit 1
# no system cluster on 5432 (see the top)
cc_conf=/etc/postgresql-common/createcluster.conf
case " $missing " in
*" postgresql-15 "*)
	if ! dpkg-query -W -f='${Status}' postgresql-common 2>/dev/null | grep -q ' installed$' &&
	    [ ! -e "$cc_conf" ]; then
		mkdir -p "${cc_conf%/*}" &&
		    printf '%s\n' '# written by pam_smsotp tests/install-deps.sh: no system cluster' \
		    'create_main_cluster = false' > "$cc_conf" || exit 1
	fi
	;;
esac
# no system directory (see the top)
case " $missing " in
*" slapd "*)
	echo "slapd slapd/no_configuration boolean true" | debconf-set-selections || exit 1
	;;
esac
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confold $missing
