#!/usr/bin/env bash
# On the GPU machine (../shared/DEVICE.md): build, then run the named steps, logs to $OUT.
#   bash benchmarks/gpu_checks.sh build tests:<pytest files> memcheck:<sweeps> racecheck:<sweeps> bench:<methods>
#                                 wgmma_rate ncu_sm90:<row>,<M>[,N,K,scheme]
# e.g. bash benchmarks/gpu_checks.sh build tests:test_scaled_mm_gpu.py memcheck:scaled_mm bench:w8a8
# wgmma_rate needs no build (it compiles benchmarks/wgmma_issue_rate.cu against the CUTLASS wheel).
# Set QGEMM_COMMIT to your HEAD (git rev-parse --short HEAD, run here): the device's copy of
# the tree named an older commit on 7 Dec, so results named by it would be mislabelled.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COMMIT=${QGEMM_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
# The CUTLASS headers of the wheel carried in .whl/ (the build and wgmma_rate compile against them).
cutlass_headers() {
  python3 -m pip install -q --no-index --no-deps --upgrade --target /tmp/cutlass "$ROOT"/.whl/nvidia_cutlass*.whl
}
for step in "$@"; do
  name=${step%%:*}; args=${step#*:}; [ "$args" = "$step" ] && args=""
  start=$(date +%s)
  case $name in
    build)
      cutlass_headers
      export PYTHONPATH=/tmp/cutlass
      QGEMM_CUDA_ARCHS=${QGEMM_CUDA_ARCHS:-90a} python3 -m pip install -q --no-build-isolation --no-deps \
        -C build-dir=/tmp/qgemm-build "$ROOT" > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; } ;;
    tests)
      (cd "$ROOT/tests" && HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-dev} python3 -m pytest -q -p no:cacheprovider \
        ${args//,/ } 2>&1 | grep -v "^DEBUG" > "$OUT/gpu_tests_$COMMIT.log"); tail -15 "$OUT/gpu_tests_$COMMIT.log" ;;
    memcheck|racecheck)
      compute-sanitizer --tool "$name" python3 "$ROOT/tests/sanitizer_sweep.py" ${args//,/ } \
        > "$OUT/sanitizer_${name}_$COMMIT.log" 2>&1; echo "$name rc=$?"; tail -4 "$OUT/sanitizer_${name}_$COMMIT.log" ;;
    bench)
      (cd /tmp && QGEMM_COMMIT=$COMMIT python3 -m qgemm.bench --models llama3-70b --methods ${args//,/ } \
        --out "$OUT/bench_$COMMIT.json" 2>&1 | tail -14) ;;
    wgmma_rate)
      cutlass_headers
      nvcc -std=c++17 -gencode arch=compute_90a,code=sm_90a -O3 --expt-relaxed-constexpr -I"$ROOT/include" \
        -isystem /tmp/cutlass/cutlass_library/source/include -o /tmp/wgmma_issue_rate \
        "$ROOT/benchmarks/wgmma_issue_rate.cu" && /tmp/wgmma_issue_rate | tee "$OUT/wgmma_issue_rate_$COMMIT.txt" ;;
    ncu_sm90)
      ncu --clock-control none -k regex:device_kernel --launch-skip 2 --launch-count 1 --section SpeedOfLight \
        --section SchedulerStats --section WarpStateStats --section SourceCounters --section MemoryWorkloadAnalysis \
        --metrics "regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio" \
        python3 "$ROOT/benchmarks/ncu_sm90_kernel.py" ${args//,/ } > "$OUT/ncu_sm90_${args//,/_}_$COMMIT.txt" 2>&1
      grep -E "Duration|Issued Warp|Warp Cycles Per Issued|Throughput|issue_stalled" "$OUT/ncu_sm90_${args//,/_}_$COMMIT.txt" \
        | head -40 ;;
    *) echo "unknown step $name"; exit 2 ;;
  esac
  echo "[$name: $(( $(date +%s) - start )) s]"
done
