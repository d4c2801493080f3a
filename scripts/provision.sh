#!/usr/bin/env bash
# provision.sh — make this Debian/Ubuntu machine ready for kefu's tests.
#
#   scripts/provision.sh [--chromium] [--print-bindir] [--verbose]
#
# What it ensures:
#   1. PostgreSQL server is installed (apt: postgresql postgresql-contrib).
#      The major version NN is the highest /usr/lib/postgresql/NN/bin that
#      holds a `postgres` binary.
#   2. The pgvector extension (`vector`) is available for that NN:
#        a. /usr/share/postgresql/NN/extension/vector.control exists -> done;
#        b. else apt has a candidate for postgresql-NN-pgvector -> install it;
#        c. else build pgvector from the Debian/Ubuntu *source* package of a
#           newer release against postgresql-server-dev-NN. The deb-src line
#           lives only in a throw-away apt configuration (temp sources list,
#           lists dir and cache dir); the system's apt sources are never
#           touched. It reuses the mirror URI (and Signed-By keyring) already
#           configured on the machine (main archive, not -security).
#   3. With --chromium: Debian's `chromium` plus `fonts-noto-cjk` (browser
#      tests, CJK text). On Ubuntu `chromium` is a snap wrapper, which will
#      not work in a container; Debian is what we run on.
#
# It is idempotent: when everything is present it does no apt work at all
# and returns in a few milliseconds. `apt-get update` runs at most once, and
# only when something has to be installed.
#
# Output: progress lines "provision: ..." on stderr; the output of apt/make
# goes to a log that is shown (tail) only on failure, or streamed to stderr
# with --verbose. stdout stays empty, except that --print-bindir prints the
# PostgreSQL bin dir (/usr/lib/postgresql/NN/bin) as the last line.
#
# Environment overrides for the source build (step 2c):
#   PGVECTOR_SRC_SUITE      suite to take the pgvector source package from.
#                           Default: Debian -> trixie (Debian 13, pgvector
#                           0.8.0); Ubuntu -> noble (24.04, pgvector 0.6.0;
#                           set e.g. `plucky` for a newer pgvector).
#   PGVECTOR_SRC_COMPONENT  archive component (Debian: main, Ubuntu: universe)
#   PGVECTOR_SRC_URI        mirror URI (default: parsed from the apt sources)
#   PGVECTOR_SRC_KEYRING    keyring for signed-by (default: the Signed-By of
#                           the chosen source entry, else the distro keyring)
#
# Runs as root; if not root, uses sudo when present for the steps that need it.
set -euo pipefail

PROG=provision
want_chromium=0
print_bindir=0
verbose=0

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
}

for arg in "$@"; do
	case "$arg" in
	--chromium) want_chromium=1 ;;
	--print-bindir) print_bindir=1 ;;
	--verbose | -v) verbose=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "$PROG: unknown argument: $arg (usage: $0 [--chromium] [--print-bindir] [--verbose])" >&2
		exit 2
		;;
	esac
done

say() { echo "$PROG: $*" >&2; }
die() {
	echo "$PROG: error: $*" >&2
	exit 1
}

# ---------------------------------------------------------------- helpers

SUDO=
sudo_checked=0
# as_root CMD...: run CMD as root (directly if we are root, else via sudo).
as_root() {
	if [ "$sudo_checked" = 0 ]; then
		sudo_checked=1
		if [ "$(id -u)" != 0 ]; then
			command -v sudo >/dev/null 2>&1 || die "not root and sudo is not available"
			SUDO=sudo
		fi
	fi
	if [ -n "$SUDO" ]; then
		"$SUDO" "$@"
	else
		"$@"
	fi
}

# Temp area, created lazily (the fast path never needs it), removed on exit.
WORK=
cleanup() {
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		# Files under it may be root-owned when we went through sudo.
		rm -rf "$WORK" 2>/dev/null || as_root rm -rf "$WORK" || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

workdir() {
	if [ -z "$WORK" ]; then
		WORK=$(mktemp -d "${TMPDIR:-/tmp}/provision.XXXXXXXX")
		: >"$WORK/log"
	fi
}

# run CMD...: run with output to the log (or stderr with --verbose); on
# failure show the log's tail and stop.
run() {
	workdir
	if [ "$verbose" = 1 ]; then
		"$@" >&2
		return
	fi
	echo "+ $*" >>"$WORK/log"
	if ! "$@" >>"$WORK/log" 2>&1; then
		echo "$PROG: command failed: $*" >&2
		tail -n 60 "$WORK/log" | sed "s/^/$PROG:   /" >&2
		exit 1
	fi
}

apt_get() {
	run as_root env DEBIAN_FRONTEND=noninteractive apt-get -q "$@"
}

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" = 0 ]; then
		say "apt-get update"
		apt_get update
		apt_updated=1
	fi
}

apt_install() {
	apt_update_once
	say "apt-get install $*"
	apt_get install -y --no-install-recommends "$@"
}

pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# apt_install_missing PKG...: install those of PKG... not installed yet
# (already-installed ones are left alone, not upgraded).
apt_install_missing() {
	local p missing=()
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		apt_install "${missing[@]}"
	fi
}

# apt_candidate PKG: succeed if apt has an installable version of PKG.
apt_candidate() {
	local cand
	cand=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }')
	[ -n "$cand" ] && [ "$cand" != "(none)" ]
}

# Highest NN such that /usr/lib/postgresql/NN/bin/postgres exists.
pg_major() {
	local d nn best=
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/postgres" ] || continue
		nn=${d#/usr/lib/postgresql/}
		nn=${nn%/bin}
		case "$nn" in '' | *[!0-9.]*) continue ;; esac
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$nn" | sort -V | tail -n 1)" = "$nn" ]; then
			best=$nn
		fi
	done
	printf '%s' "$best"
}

# ------------------------------------------------ mirror discovery (step 2c)

# Print "URI<TAB>SUITE<TAB>SIGNED-BY" for every enabled binary (`deb`) source
# entry on the machine, deb822 files first, then one-line-style files.
apt_source_entries() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
			function flush(   i, j, nu, ns, u, s) {
				if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*(no|false|0)[ \t]*$/) {
					nu = split(uris, u, /[ \t]+/)
					ns = split(suites, s, /[ \t]+/)
					for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
						if (u[i] != "" && s[j] != "") printf "%s\t%s\t%s\n", u[i], s[j], signed
				}
				types = uris = suites = signed = enabled = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			/^[ \t]/ { next }   # continuation lines (e.g. an inline key)
			{
				key = tolower($0); sub(/:.*/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "signed-by") { if (val ~ /^\//) signed = val }
				else if (key == "enabled") enabled = val
			}
			END { flush() }
		' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '
			/^[ \t]*deb[ \t]/ {
				line = $0; sub(/#.*/, "", line)
				signed = ""
				if (match(line, /\[[^]]*\]/)) {
					opts = substr(line, RSTART + 1, RLENGTH - 2)
					line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
					if (match(opts, /signed-by=[^ \t]+/)) {
						signed = substr(opts, RSTART + 10, RLENGTH - 10)
						if (signed !~ /^\//) signed = ""
					}
				}
				n = split(line, w, /[ \t]+/)
				k = 0
				for (i = 1; i <= n; i++) if (w[i] != "") v[++k] = w[i]
				if (k >= 3) printf "%s\t%s\t%s\n", v[2], v[3], signed
			}
		' "$f"
	done
}

# Pick the main archive entry: not -security (by suite or URI), and a real
# network or file URI (not cdrom:).
pick_mirror() {
	apt_source_entries | awk -F '\t' '
		$1 ~ /^cdrom:/ { next }
		$2 ~ /-security$/ || $2 ~ /\/updates$/ || $1 ~ /security/ { next }
		{ print; exit }
	'
}

# ------------------------------------------------------- pgvector (step 2)

build_pgvector_from_source() {
	local nn=$1 bindir=$2
	local os_id="" os_like="" suite component uri keyring entry
	if [ -r /etc/os-release ]; then
		# shellcheck disable=SC1091
		os_id=$(. /etc/os-release && printf '%s' "${ID:-}")
		# shellcheck disable=SC1091
		os_like=$(. /etc/os-release && printf '%s' "${ID_LIKE:-}")
	fi
	case " $os_id $os_like " in
	*" ubuntu "*)
		suite=${PGVECTOR_SRC_SUITE:-noble}
		component=${PGVECTOR_SRC_COMPONENT:-universe}
		keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg
		;;
	*" debian "*)
		suite=${PGVECTOR_SRC_SUITE:-trixie}
		component=${PGVECTOR_SRC_COMPONENT:-main}
		keyring=/usr/share/keyrings/debian-archive-keyring.gpg
		;;
	*) die "unsupported distribution '${os_id:-unknown}' (need Debian or Ubuntu)" ;;
	esac

	entry=$(pick_mirror || true)
	uri=${PGVECTOR_SRC_URI:-$(printf '%s' "$entry" | cut -f1)}
	[ -n "$uri" ] || die "no apt mirror URI found in /etc/apt/sources.list{,.d}; set PGVECTOR_SRC_URI"
	if [ -n "${PGVECTOR_SRC_KEYRING:-}" ]; then
		keyring=$PGVECTOR_SRC_KEYRING
	elif [ -z "${PGVECTOR_SRC_URI:-}" ] && [ -n "$(printf '%s' "$entry" | cut -f3)" ]; then
		keyring=$(printf '%s' "$entry" | cut -f3)
	fi
	[ -r "$keyring" ] || die "keyring $keyring not found; set PGVECTOR_SRC_KEYRING"

	say "building pgvector for PostgreSQL $nn from source package ($suite/$component at $uri)"
	apt_install_missing "postgresql-server-dev-$nn" make gcc dpkg-dev

	workdir
	local apt_dir=$WORK/apt
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/src"
	printf 'deb-src [signed-by=%s] %s %s %s\n' "$keyring" "$uri" "$suite" "$component" >"$apt_dir/sources.list"
	# Everything apt writes goes under $apt_dir; the system's sources, lists
	# and caches are left alone. Sandbox::User=root: _apt cannot write here.
	local tmp_apt=(
		-o "Dir::Etc::SourceList=$apt_dir/sources.list"
		-o "Dir::Etc::SourceParts=/nonexistent"
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::Cache=$apt_dir/cache"
		-o "Dir::Cache::pkgcache="
		-o "Dir::Cache::srcpkgcache="
		-o "APT::Sandbox::User=root"
		-o "Acquire::Languages=none"
	)
	say "fetching pgvector source from $suite (temporary apt config)"
	run as_root env DEBIAN_FRONTEND=noninteractive apt-get -q "${tmp_apt[@]}" update
	cd "$apt_dir/src"
	run as_root env DEBIAN_FRONTEND=noninteractive apt-get -q "${tmp_apt[@]}" source --only-source pgvector
	cd - >/dev/null

	local srcdir="" d
	for d in "$apt_dir"/src/pgvector-*/; do
		[ -f "$d/Makefile" ] && srcdir=${d%/}
	done
	[ -n "$srcdir" ] || die "pgvector source did not unpack under $apt_dir/src"
	say "compiling ${srcdir##*/} against $bindir/pg_config"
	# OPTFLAGS= : no -march=native, so the result runs on any CPU (as Debian builds it).
	run as_root make -C "$srcdir" PG_CONFIG="$bindir/pg_config" OPTFLAGS=
	run as_root make -C "$srcdir" install PG_CONFIG="$bindir/pg_config" OPTFLAGS=
}

ensure_pgvector() {
	local nn=$1 bindir=$2
	local control=/usr/share/postgresql/$nn/extension/vector.control
	[ -f "$control" ] && return 0
	apt_update_once
	if apt_candidate "postgresql-$nn-pgvector"; then
		apt_install "postgresql-$nn-pgvector"
	else
		say "no postgresql-$nn-pgvector package in the configured apt sources"
		build_pgvector_from_source "$nn" "$bindir"
	fi
	[ -f "$control" ] || die "pgvector installed but $control is missing"
	say "pgvector ready for PostgreSQL $nn"
}

# ------------------------------------------------------------------ main

NN=$(pg_major)
if [ -z "$NN" ]; then
	say "PostgreSQL not found, installing"
	apt_install postgresql postgresql-contrib
	NN=$(pg_major)
	[ -n "$NN" ] || die "PostgreSQL installed but no /usr/lib/postgresql/NN/bin/postgres found"
fi
BINDIR=/usr/lib/postgresql/$NN/bin
ensure_pgvector "$NN" "$BINDIR"

if [ "$want_chromium" = 1 ]; then
	apt_install_missing chromium fonts-noto-cjk
fi

say "ok: PostgreSQL $NN ($BINDIR), pgvector$([ "$want_chromium" = 1 ] && echo ", chromium")"
if [ "$print_bindir" = 1 ]; then
	printf '%s\n' "$BINDIR"
fi
