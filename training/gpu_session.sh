#!/usr/bin/env bash
# A training session on a lent GPU machine (training/gpu_session.py does the work).
#
#   bash training/gpu_session.sh prepare          # here, once: wheels and a corpus subset under .gpu/ (git-ignored)
#   bash training/gpu_session.sh run [FLAGS]      # on the GPU machine, with .gpu carried; FLAGS go to training.gpu_session
#   OUT=/tmp/gs bash training/gpu_session.sh run --preset tiny --minutes 0.5 --init_from MODEL --pairs PAIRS \
#       --sources clean.txt --pretrain_share 0.5   # CPU smoke run (seconds with a tiny model)
#
# The GPU machine reaches no network: `prepare` downloads, here, the wheels of what its image
# lacks (datasets, evaluate and their dill/multiprocess, rapidfuzz for the dev metric, and
# transformers at the version the checkpoint format pins) and copies the corpora that fit the
# device tool's 64 MiB (GPU_SOURCES, from ../shared/corpora). The device call is then:
#   run(command="bash training/gpu_session.sh run", carry=[".gpu"], timeout_s=600)
# and the files it brings back are joined with
#   python -m training.gpu_session --unpack <files_at> --to runs/gpu_session
set -euo pipefail
cd "$(dirname "$0")/.."

GPU_SOURCES="${GPU_SOURCES:-wikinews current-events gutenberg ungdc-4}"
CORPORA="${CORPORA:-../shared/corpora}"
WHEELS=(transformers==5.24.0 datasets==5.2.0 evaluate==0.4.6 dill==0.4.1 multiprocess==0.70.19 rapidfuzz==3.14.6)

prepare() {
    grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
    mkdir -p .gpu/wheels
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform any -d .gpu/wheels "${WHEELS[@]}"
    local sources=()
    for name in $GPU_SOURCES; do
        rel=$(python3 -c "from training.make_pairs import DEFAULT_SOURCES as S; print(S['$name'][0])")
        mkdir -p ".gpu/corpora/$(dirname "$rel")"
        cp "$CORPORA/$rel" ".gpu/corpora/$rel"
        sources+=("$name")
    done
    (IFS=,; echo "${sources[*]}") > .gpu/sources
    du -sh .gpu
    tracked=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
    echo "tracked files: $((tracked / 1048576)) MiB; with .gpu they must stay under the device tool's 64 MiB"
}

run() {
    if compgen -G ".gpu/wheels/*.whl" > /dev/null; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/wheels/*.whl
        export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
    fi
    export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
    local corpus=()
    if [[ -f .gpu/sources ]]; then
        corpus=(--corpora .gpu/corpora --sources "$(cat .gpu/sources)")
    fi
    python3 -c "import torch, transformers, datasets, pyarrow; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), \
'transformers', transformers.__version__, 'datasets', datasets.__version__, 'pyarrow', pyarrow.__version__)"
    mkdir -p "${OUT:?set OUT to the folder the files go to}"
    set -o pipefail
    python3 -m training.gpu_session --out "$OUT" "${corpus[@]}" "$@" 2>&1 | tee "$OUT/log.txt"
}

case "${1:-}" in
    prepare) prepare ;;
    run) shift; run "$@" ;;
    *) echo "usage: bash training/gpu_session.sh prepare | run [training.gpu_session flags]" >&2; exit 2 ;;
esac
