#!/bin/sh
# Plan or apply package updates for patchpilot (playbooks/README.md, "How updates are chosen").
#
# usage: patchpilot-updates.sh plan|apply [--security] [--exclude GLOB]... [--package GLOB]...
#        patchpilot-updates.sh reboot-required
#
#   plan    list the updates that apply would install; never changes the host
#           (dnf: `dnf check-update`; apt: `apt-get -s`, no lock taken)
#   apply   install them (apt only: dnf hosts are patched by ansible.builtin.dnf); waits up to
#           10 min for the dpkg lock (apt-daily and unattended-upgrades hold it)
#   reboot-required
#           exit 1 when the host needs a reboot, 0 when not, 3 when it cannot tell: dnf hosts ask
#           `dnf needs-restarting -r` (dnf-plugins-core), else `needs-restarting -r` (yum-utils);
#           apt hosts look for /var/run/reboot-required
#
# apt has no per-run exclude and no "security only" switch, so on apt hosts:
#   - excluded globs are pinned to their installed version (priority 1001) in a throw-away
#     preferences file passed with -o Dir::Etc::Preferences, so apt keeps back whatever
#     would need them instead of upgrading them as a dependency;
#   - the plan is `apt-get --with-new-pkgs upgrade` (new dependencies such as a new kernel
#     ABI package are allowed, removals never are), filtered to the packages whose new
#     version comes from a "-security" suite when --security is given, and to the
#     --package globs when some are given;
#   - apply installs exactly that list with --only-upgrade --no-remove.
# The last line printed is always "patchpilot: N update(s) ..." so the task can report
# `changed` from it.
set -eu

usage() {
    echo "usage: $0 plan|apply [--security] [--exclude GLOB]... [--package GLOB]... | $0 reboot-required" >&2
    exit 2
}

reboot_required() {
    if command -v dnf >/dev/null 2>&1; then
        if dnf needs-restarting --help >/dev/null 2>&1; then
            exec dnf needs-restarting -r
        fi
        if command -v needs-restarting >/dev/null 2>&1; then
            exec needs-restarting -r
        fi
        echo "patchpilot: cannot tell whether a reboot is required: neither 'dnf needs-restarting'" \
            "(dnf-plugins-core) nor needs-restarting (yum-utils) is installed" >&2
        exit 3
    fi
    if [ -e /var/run/reboot-required ]; then
        echo "patchpilot: reboot required (/var/run/reboot-required)"
        exit 1
    fi
    echo "patchpilot: no reboot required"
    exit 0
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
plan | apply) ;;
reboot-required)
    [ $# -eq 0 ] || usage
    reboot_required
    ;;
*) usage ;;
esac

nl='
'
security=false
excludes=''
packages=''
while [ $# -gt 0 ]; do
    case $1 in
    --security) security=true ;;
    --exclude)
        [ $# -ge 2 ] || usage
        excludes="$excludes$2$nl"
        shift
        ;;
    --package)
        [ $# -ge 2 ] || usage
        packages="$packages$2$nl"
        shift
        ;;
    *) usage ;;
    esac
    shift
done

# matches NAME GLOBS: does NAME match one of the newline-separated GLOBS?
matches() {
    _name=$1
    _saved_ifs=$IFS
    IFS=$nl
    set -f # the globs are patterns for `case`, not for file names
    for _glob in $2; do
        # shellcheck disable=SC2254 # the glob is meant to be a pattern
        case $_name in $_glob)
            IFS=$_saved_ifs
            set +f
            return 0
            ;;
        esac
    done
    IFS=$_saved_ifs
    set +f
    return 1
}

plan_dnf() {
    set -- --quiet check-update
    [ "$security" = true ] && set -- "$@" --security
    _saved_ifs=$IFS
    IFS=$nl
    set -f
    for _glob in $excludes; do set -- "$@" "--exclude=$_glob"; done
    for _glob in $packages; do set -- "$@" "$_glob"; done
    IFS=$_saved_ifs
    set +f
    # check-update: rc 100 = updates listed, 0 = none, anything else = error.
    _rc=0
    _out=$(dnf "$@") || _rc=$?
    case $_rc in
    0) echo "patchpilot: 0 update(s) available" ;;
    100)
        printf '%s\n' "$_out"
        _count=$(printf '%s\n' "$_out" | awk 'NF == 3 && $1 ~ /\./ { n++ } END { print n + 0 }')
        echo "patchpilot: $_count update(s) available"
        ;;
    *)
        printf '%s\n' "$_out" >&2
        exit "$_rc"
        ;;
    esac
}

plan_apt() {
    # One "Inst NAME [OLD] (NEW ORIGIN[, ORIGIN]... [ARCH])" line per package apt would install;
    # lines without [OLD] are new dependencies, pulled in again by apply.
    apt-get --simulate --quiet --with-new-pkgs -o Debug::NoLocking=1 -o "Dir::Etc::Preferences=$prefs" upgrade |
        awk -v security="$security" '
            $1 == "Inst" && $3 ~ /^\[/ {
                origins = substr($0, index($0, "("))
                if (security == "true" && origins !~ /-security/) next
                print $2
            }' |
        while IFS= read -r _pkg; do
            if [ -n "$packages" ] && ! matches "${_pkg%%:*}" "$packages"; then continue; fi
            if [ -n "$excludes" ] && matches "${_pkg%%:*}" "$excludes"; then continue; fi
            echo "$_pkg"
        done
}

if command -v apt-get >/dev/null 2>&1; then
    prefs=$(mktemp)
    trap 'rm -f "$prefs"' EXIT
    if [ -f /etc/apt/preferences ]; then cat /etc/apt/preferences >"$prefs"; fi
    if [ -n "$excludes" ]; then
        printf '\nPackage: %s\nPin: release a=now\nPin-Priority: 1001\n' "$(printf '%s' "$excludes" | tr '\n' ' ')" >>"$prefs"
    fi
    selected=$(plan_apt)
    count=$(printf '%s' "$selected" | grep -c . || true)
    if [ "$mode" = plan ]; then
        [ -z "$selected" ] || printf '%s\n' "$selected"
        echo "patchpilot: $count update(s) available"
        exit 0
    fi
    if [ "$count" -eq 0 ]; then
        echo "patchpilot: 0 update(s) to install"
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # one package name per word
    apt-get install --yes --quiet --only-upgrade --no-remove \
        -o DPkg::Lock::Timeout=600 \
        -o "Dir::Etc::Preferences=$prefs" \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        $selected
    echo "patchpilot: $count update(s) installed"
elif command -v dnf >/dev/null 2>&1; then
    [ "$mode" = plan ] || {
        echo "apply is for apt hosts; dnf hosts are patched by ansible.builtin.dnf" >&2
        exit 2
    }
    plan_dnf
else
    echo "patchpilot supports dnf (RedHat family) and apt (Debian family) hosts only" >&2
    exit 2
fi
