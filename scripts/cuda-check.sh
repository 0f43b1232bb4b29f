#!/usr/bin/env bash
# Packs the ILGPU device check and the benchmarks as self-contained linux-x64 programs, for a machine with an
# NVIDIA GPU (driver installed) and no .NET SDK:
#
#   scripts/cuda-check.sh [output-dir]          # build here: writes <output-dir>/har-cuda-check.tar.xz (default: artifacts/)
#   tar -xJf har-cuda-check.tar.xz && cd har-cuda-check
#   ./run.sh check                              # agreement sweep cuda vs cpu + timings (exit code 0 = all pass)
#   ./run.sh check --filter gemm                # a subset
#   ./run.sh bench [BenchmarkDotNet args]       # the benchmarks in-process, devices cpu and cuda (default filter: *)
#   ./run.sh har train --device cuda ...        # the har command itself (data from --data or $HAR_DATA)
#
# The three programs are published into one folder so they share one copy of the runtime; the archive must stay
# under 60 MiB (checked below).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/artifacts}" && cd "${1:-$root/artifacts}" && pwd)"
name=har-cuda-check
stage="$out/$name"
limit_mib=60

rm -rf "$stage" "$out/$name.tar.xz"
mkdir -p "$stage"

publish() {
  dotnet publish "$1" -c Release -r linux-x64 --self-contained true -o "$stage" \
    -p:InvariantGlobalization=true -p:DebugType=none -p:DebugSymbols=false -p:GenerateDocumentationFile=false \
    -p:SatelliteResourceLanguages=en --nologo -v quiet
}

echo "publishing tests/DeviceCheck, benchmarks and har (self-contained linux-x64) into $stage"
publish "$root/tests/DeviceCheck/HarFromScratch.DeviceCheck.csproj"
publish "$root/benchmarks/HarFromScratch.Benchmarks.csproj"
publish "$root/src/Har/Har.csproj"

cat > "$stage/run.sh" <<'RUN'
#!/usr/bin/env bash
# ./run.sh check [--filter text] [--no-timings] [--timings-only] [--device cuda|opencl|ilgpu-cpu]
# ./run.sh bench [BenchmarkDotNet arguments]   (default: --filter '*'; always in-process: there is no SDK to build with)
# ./run.sh har ARGS...                          (the har command line)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export HAR_DEVICE="${HAR_DEVICE:-cuda}"
export DOTNET_gcServer=0
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true; fi
cmd="${1:-check}"; shift || true
case "$cmd" in
  check) exec "$here/HarFromScratch.DeviceCheck" --device "$HAR_DEVICE" "$@" ;;
  bench) if [ $# -eq 0 ]; then set -- --filter '*'; fi
         export HAR_BENCH_DEVICES="${HAR_BENCH_DEVICES:-cpu,$HAR_DEVICE}"
         export HAR_BENCH_INPROCESS=1
         exec "$here/HarFromScratch.Benchmarks" "$@" ;;
  har) exec "$here/har" "$@" ;;
  *) echo "usage: $0 check|bench|har [args]" >&2; exit 2 ;;
esac
RUN
chmod +x "$stage/run.sh"

echo "packing $out/$name.tar.xz"
tar -C "$out" -cf - "$name" | xz -9e -T0 > "$out/$name.tar.xz"
size=$(stat -c %s "$out/$name.tar.xz")
mib=$(( (size + 1048575) / 1048576 ))
echo "archive: $out/$name.tar.xz, $mib MiB ($(du -sh "$stage" | cut -f1) unpacked)"
if [ "$mib" -ge "$limit_mib" ]; then
  echo "error: the archive is $mib MiB, over the $limit_mib MiB limit" >&2
  exit 1
fi
