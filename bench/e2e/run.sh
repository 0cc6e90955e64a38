#!/usr/bin/env bash
# The end-to-end comparison: the same busybox (and one C) workloads natively, under `warden run`
# and under gVisor (`runsc --platform=ptrace do`), each timed by hyperfine (median of 5 runs after
# one warm-up), printed as a Markdown table with the ratios. See README.md beside this file.
#
#   bench/e2e/run.sh [--runs N] [--export DIR] [WORKLOAD...]
#
# WORKLOAD is any of: true md5sum sort gzip find dd pipe loop pipe64 fork forklat (default: all).
# Environment:
#   WARDEN   the warden command (default: bench/e2e/out/warden if publish.sh made it, else
#            `dotnet src/Warden.Cli/bin/Release/net10.0/warden.dll`)
#   RUNSC    the runsc binary (default: runsc); it needs root
#   BUSYBOX  a static busybox (default: /bin/busybox, from Debian's busybox-static)
#   CHECK_TIMEOUT  seconds allowed for each runner's first, checking run (default: 300)
#   CC       the C compiler that builds the fork workload with -static (default: gcc)
# A runner whose checking run fails (exit status other than the native run's, or a time-out) gets
# "missing" in its column with the reason underneath, and is not timed; the others still are.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

runs=5
export_dir=
selected=()
while (($#)); do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --export) export_dir=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) selected+=("$1"); shift ;;
    esac
done

if [[ -z ${WARDEN:-} ]]; then
    if [[ -x $here/out/warden ]]; then
        WARDEN=$here/out/warden
    else
        WARDEN="dotnet $repo/src/Warden.Cli/bin/Release/net10.0/warden.dll"
    fi
fi
RUNSC=${RUNSC:-runsc}
BUSYBOX=${BUSYBOX:-/bin/busybox}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-300}
CC=${CC:-gcc}

for tool in hyperfine jq awk md5sum timeout; do
    command -v "$tool" >/dev/null || { echo "run.sh needs $tool" >&2; exit 1; }
done
[[ -x $BUSYBOX ]] || { echo "no busybox at $BUSYBOX (apt-get install busybox-static)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/warden-e2e.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
say() { printf '%s\n' "$*" >&2; }

# ---- workloads --------------------------------------------------------------------------------

names=(true md5sum sort gzip find dd pipe loop pipe64 fork forklat)
# Each workload's command, as words (no quoting: a shell pipeline is a script file in $tmp).
declare -A cmds=(
    [true]="$BUSYBOX true"
    [md5sum]="$BUSYBOX md5sum $tmp/md5.in"
    [sort]="$BUSYBOX sort $tmp/sort.in"
    [gzip]="$BUSYBOX gzip -c $tmp/gzip.in"
    [find]="$BUSYBOX find /usr"
    [dd]="$BUSYBOX dd if=/dev/zero bs=1 count=200000 of=/dev/null"
    [pipe]="$BUSYBOX sh $tmp/pipe.sh"
    [loop]="$BUSYBOX sh $tmp/loop.sh"
    [pipe64]="$BUSYBOX sh $tmp/pipe64.sh"
    [fork]="$tmp/fork_child_writes 64 20 1000"
    [forklat]="$tmp/fork_child_writes 64 100 1"
)
declare -A title=(
    [true]="busybox true (start-up)"
    [md5sum]="busybox md5sum, 64 MiB"
    [sort]="busybox sort, 10 MB of text"
    [gzip]="busybox gzip -c, 32 MiB of text"
    [find]="busybox find /usr"
    [dd]="busybox dd bs=1 count=200000"
    [pipe]="sh: echo a \\| tr a b \\| wc -c (fork+exec+pipe)"
    [loop]="sh: 200 × busybox true (fork/exec)"
    [pipe64]="sh: cat \\| gzip -c \\| md5sum, 64 MiB (pipes)"
    [fork]="20 × fork of a 64 MiB heap, 1,000 page writes in the child"
    [forklat]="100 × fork of a 64 MiB heap, 1 page write in the child (fork latency)"
)
((${#selected[@]})) || selected=("${names[@]}")
for s in "${selected[@]}"; do
    [[ -n ${cmds[$s]+x} ]] || { echo "unknown workload $s (known: ${names[*]})" >&2; exit 2; }
done
wanted() { # WORKLOAD...: whether any of them is selected
    local s w
    for s in "${selected[@]}"; do for w in "$@"; do [[ $s == "$w" ]] && return 0; done; done
    return 1
}

# ---- inputs: deterministic, made fresh in $tmp, only those the selected workloads read --------

# Pseudo-random lines of words (Park-Miller generator, exact in awk's doubles) until BYTES bytes.
words() { # SEED BYTES
    awk -v seed="$1" -v bytes="$2" 'BEGIN {
        n = split("the of and to in is was for on that with as by at from it his an were are " \
                  "which this be or has had not but first one their its new after who they two " \
                  "her she been other when time during there into school more may years over " \
                  "only year most would world city some where between later up such used many", w, " ")
        x = seed; total = 0
        while (total < bytes) {
            line = ""
            len = 4 + (x % 9)
            for (i = 0; i < len; i++) {
                x = (x * 16807) % 2147483647
                line = line (i ? " " : "") w[1 + x % n]
            }
            x = (x * 16807) % 2147483647
            line = line " " x
            print line
            total += length(line) + 1
        }
    }'
}

say "making inputs in $tmp"
if wanted md5sum pipe64; then
    { seq 1 20000000; true; } | head -c $((64 << 20)) >"$tmp/md5.in"
fi
wanted sort && words 12345 10000000 >"$tmp/sort.in"
wanted gzip && words 67890 $((32 << 20)) | head -c $((32 << 20)) >"$tmp/gzip.in"
# The shell workloads run busybox's applets by its full path (no PATH lookup, the same program
# under every runner); busybox sh forks and execs each of them.
printf '%s\n' "echo a | $BUSYBOX tr a b | $BUSYBOX wc -c" >"$tmp/pipe.sh"
printf '%s\n' "i=0" "while [ \$i -lt 200 ]; do $BUSYBOX true; i=\$((i + 1)); done" >"$tmp/loop.sh"
printf '%s\n' "$BUSYBOX cat $tmp/md5.in | $BUSYBOX gzip -c | $BUSYBOX md5sum" >"$tmp/pipe64.sh"
# The fork workload is a static C program (bench/native/fork_child_writes.c): without a compiler
# it is missing in every column.
declare -A workload_missing=()
if wanted fork forklat; then
    if ! "$CC" -static -O2 -o "$tmp/fork_child_writes" "$repo/bench/native/fork_child_writes.c" 2>"$tmp/cc.err"; then
        workload_missing[fork]="\`$CC -static\` could not build bench/native/fork_child_writes.c: $(head -c 300 "$tmp/cc.err" | tr '\n' ' ')"
        workload_missing[forklat]=${workload_missing[fork]}
    fi
fi

runners=(native warden gvisor)
prefix() { # RUNNER: the words before the workload's command
    case $1 in
        native) echo "" ;;
        warden) echo "$WARDEN run --" ;;
        gvisor) echo "$RUNSC --network=none --platform=ptrace do" ;;
    esac
}

# Why a runner cannot run at all, if it cannot (empty if it may).
declare -A unavailable=()
if ! command -v "$RUNSC" >/dev/null; then
    unavailable[gvisor]="$RUNSC not found"
elif (($(id -u) != 0)); then
    unavailable[gvisor]="runsc needs root"
fi

declare -A median=() note=() native_status=() native_sum=()
footnotes=()
footnote() { footnotes+=("$1"); note[$2]="missing [${#footnotes[@]}]"; }

# One checking run: exit status and a checksum of standard output (through a pipe: this runsc
# build writes a redirected regular file from offset 0, so never let it write to one).
check() { # RUNNER WORKLOAD -> sets check_status, check_sum; stderr in $tmp/check.err
    local cmd
    read -r -a cmd <<<"$(prefix "$1") ${cmds[$2]}"
    check_sum=$(timeout "$CHECK_TIMEOUT" "${cmd[@]}" 2>"$tmp/check.err" </dev/null | md5sum | cut -c1-32)
    check_status=${PIPESTATUS[0]}
}

# A runner that cannot even run `busybox true` is out for every workload, under one note.
declare -A unavailable_note=()
for r in warden gvisor; do
    [[ -n ${unavailable[$r]:-} ]] && continue
    say "probing  $r: busybox true"
    check "$r" true
    if ((check_status != 0)); then
        unavailable[$r]="\`$(prefix "$r") $BUSYBOX true\` failed (exit status $check_status): $(head -c 300 "$tmp/check.err" | tr '\n' ' ')"
    fi
done

declare -A workload_note=()
for w in "${selected[@]}"; do
    for r in "${runners[@]}"; do
        key=$r/$w
        if [[ -n ${workload_missing[$w]:-} ]]; then
            if [[ -z ${workload_note[$w]:-} ]]; then
                footnote "$w: ${workload_missing[$w]}" "$key"
                workload_note[$w]=${note[$key]}
            fi
            note[$key]=${workload_note[$w]}
            continue
        fi
        if [[ -n ${unavailable[$r]:-} ]]; then
            if [[ -z ${unavailable_note[$r]:-} ]]; then
                footnote "$r: ${unavailable[$r]}" "$key"
                unavailable_note[$r]=${note[$key]}
            fi
            note[$key]=${unavailable_note[$r]}
            continue
        fi
        say "checking $r: ${cmds[$w]}"
        check "$r" "$w"
        if [[ $r == native ]]; then
            native_status[$w]=$check_status
            native_sum[$w]=$check_sum
        elif ((check_status == 124)); then
            footnote "$r, $w: no result within ${CHECK_TIMEOUT}s" "$key"
            continue
        elif [[ $check_status != "${native_status[$w]}" ]]; then
            footnote "$r, $w: exit status $check_status (native: ${native_status[$w]}): $(head -c 300 "$tmp/check.err" | tr '\n' ' ')" "$key"
            continue
        elif [[ $check_sum != "${native_sum[$w]}" ]]; then
            footnotes+=("$r, $w: standard output differs from the native run's")
            note[$key]="[${#footnotes[@]}]"
        fi
        say "timing   $r: ${cmds[$w]}"
        json=$tmp/$r-$w.json
        if hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$json" \
            "$(prefix "$r") ${cmds[$w]}" >"$tmp/hyperfine.log" 2>&1; then
            median[$key]=$(jq -r '.results[0].median' "$json")
        else
            footnote "$r, $w: hyperfine failed: $(tail -n 3 "$tmp/hyperfine.log" | tr '\n' ' ')" "$key"
        fi
    done
done

# ---- the table ---------------------------------------------------------------------------------

fmt_time() { awk -v t="$1" 'BEGIN { if (t < 1) printf "%.1f ms", t * 1000; else printf "%.2f s", t }'; }
ratio() { # A B
    if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo "–"; fi
}
cell() { # KEY
    if [[ -n ${median[$1]:-} ]]; then
        printf '%s%s' "$(fmt_time "${median[$1]}")" "${note[$1]:+ ${note[$1]}}"
    else
        printf '%s' "${note[$1]:-missing}"
    fi
}

echo "Median of $runs runs (hyperfine, after 1 warm-up), $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%d)."
echo "warden: \`$WARDEN\`; gVisor: \`$RUNSC --network=none --platform=ptrace do\` ($($RUNSC --version 2>/dev/null | head -n 1))."
echo
echo "| workload | native | warden | gVisor | warden/native | warden/gVisor | gVisor/native |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for w in "${selected[@]}"; do
    n=${median[native/$w]:-} wd=${median[warden/$w]:-} g=${median[gvisor/$w]:-}
    echo "| ${title[$w]} | $(cell "native/$w") | $(cell "warden/$w") | $(cell "gvisor/$w") | $(ratio "$wd" "$n") | $(ratio "$wd" "$g") | $(ratio "$g" "$n") |"
done
if ((${#footnotes[@]})); then
    echo
    for i in "${!footnotes[@]}"; do
        echo "$((i + 1)). ${footnotes[$i]}"
    done
fi
if [[ -n $export_dir ]]; then
    mkdir -p "$export_dir" && cp "$tmp"/*.json "$export_dir"/ 2>/dev/null
fi
exit 0
