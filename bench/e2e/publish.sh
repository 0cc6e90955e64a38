#!/usr/bin/env bash
# Publishes `warden` for fast start-up and measures what each way of running it costs at start-up.
#
#   bench/e2e/publish.sh [--no-measure]
#
# Builds three forms of the CLI (src/Warden.Cli):
#   plain  `dotnet build -c Release`: src/Warden.Cli/bin/Release/net10.0/warden.dll, run by `dotnet`
#   r2r    ReadyToRun, framework-dependent: OUT/r2r/warden
#   aot    Native AOT: OUT/aot/warden
# and links OUT/warden to the fastest that built (AOT, else ReadyToRun), which run.sh uses by
# default. OUT is bench/e2e/out unless $OUT says otherwise. The published forms are built under
# OUT/build (--artifacts-path), so the work tree's own bin/ and obj/ are not restored for a runtime
# identifier. Warnings are errors here as everywhere (Directory.Build.props), so an AOT or trim
# analyzer warning fails the AOT step: its log (OUT/aot.log) says which, and ReadyToRun is used.
# Then, unless --no-measure, `warden --help` is timed with hyperfine for each form (median of 20).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${OUT:-$here/out}
project=$repo/src/Warden.Cli/Warden.Cli.csproj
rid=linux-x64
measure=1
[[ ${1:-} == --no-measure ]] && measure=0

mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== plain: dotnet build -c Release"
dotnet build "$project" -c Release -v quiet -nologo >"$out/plain.log" 2>&1 || { cat "$out/plain.log"; exit 1; }
plain_dll=$repo/src/Warden.Cli/bin/Release/net10.0/warden.dll

echo "== ReadyToRun"
r2r_ok=0
if dotnet publish "$project" -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true \
    --artifacts-path "$out/build" -o "$out/r2r" -nologo >"$out/r2r.log" 2>&1; then
    r2r_ok=1
else
    echo "   ReadyToRun failed; see $out/r2r.log"
fi

echo "== Native AOT"
aot_ok=0
if dotnet publish "$project" -c Release -r "$rid" -p:PublishAot=true \
    --artifacts-path "$out/build" -o "$out/aot" -nologo >"$out/aot.log" 2>&1; then
    aot_ok=1
else
    echo "   Native AOT failed; see $out/aot.log. Its warnings and errors:"
    grep -E ': (warning|error) ' "$out/aot.log" | sort -u | sed 's/^/   /' || true
fi
# AOT or trim analyzer warnings would have failed the build; list any that were only printed.
grep -hE 'warning (IL|CS)[0-9]+' "$out/r2r.log" "$out/aot.log" 2>/dev/null | sort -u | sed 's/^/   warning: /' || true

rm -f "$out/warden"
if ((aot_ok)); then
    ln -s aot/warden "$out/warden"
elif ((r2r_ok)); then
    ln -s r2r/warden "$out/warden"
fi
if [[ -e $out/warden ]]; then
    echo "== $out/warden -> $(readlink "$out/warden")"
else
    echo "== neither AOT nor ReadyToRun published; run.sh will use dotnet $plain_dll"
fi

((measure)) || exit 0
if ! command -v hyperfine >/dev/null; then
    echo "hyperfine is not installed: no measurement" >&2
    exit 0
fi
commands=(-n plain "dotnet $plain_dll --help")
((r2r_ok)) && commands+=(-n r2r "$out/r2r/warden --help")
((aot_ok)) && commands+=(-n aot "$out/aot/warden --help")
hyperfine -N --warmup 3 --runs 20 --export-json "$out/startup.json" "${commands[@]}" >/dev/null
echo
echo "| \`warden --help\` | median | mean ± σ | min |"
echo "|---|---:|---:|---:|"
jq -r '.results[] | "| \(.command) | \(.median * 1000 | . * 10 | round / 10) ms | \(.mean * 1000 | . * 10 | round / 10) ± \(.stddev * 1000 | . * 10 | round / 10) ms | \(.min * 1000 | . * 10 | round / 10) ms |"' \
    "$out/startup.json"
