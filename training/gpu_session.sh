#!/usr/bin/env bash
# A training session on a lent GPU machine (training/gpu_session.py does the work).
#
#   bash training/gpu_session.sh prepare          # here, once: wheels and a corpus subset under .gpu/ (git-ignored)
#   bash training/gpu_session.sh slim [--weights] # here, before the device call (see below); unslim after
#   bash training/gpu_session.sh run [FLAGS]      # on the GPU machine, with .gpu carried; FLAGS go to training.gpu_session
#   OUT=/tmp/gs bash training/gpu_session.sh run --preset tiny --minutes 0.5 --init_from MODEL --pairs PAIRS \
#       --sources clean.txt --pretrain_share 0.5   # CPU smoke run (seconds with a tiny model)
#
# The GPU machine reaches no network: `prepare` downloads, here, the wheels of what its image
# lacks (datasets, evaluate and their dill/multiprocess, rapidfuzz for the dev metric, and
# transformers at the version the checkpoint format pins) and copies the corpora (GPU_SOURCES,
# from ../shared/corpora). The device tool carries the tracked tree too, 64 MiB in all, and the
# shipped model's files alone are over 100 MiB, so `slim` takes them out of git's index for the
# call (and `unslim` puts them back):
#   bash training/gpu_session.sh slim            # then the device call it prints:
#   run(command="bash training/gpu_session.sh run --init_from scratch", carry=[".gpu"], timeout_s=600)
#   bash training/gpu_session.sh unslim
# (`slim --weights` carries the shipped weights gzipped, to continue from them: that fits only with
# GPU_SOURCES='wikinews current-events'.) The files it brings back are joined with
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
    echo "travels now: $(($(travel_bytes) / 1048576)) MiB of the device tool's 64 (bash training/gpu_session.sh slim takes the model's files out)"
}

run() {
    if [[ -f .gpu/weights/model.safetensors.gz && ! -f restore/models/default/model.safetensors ]]; then
        gunzip -c .gpu/weights/model.safetensors.gz > restore/models/default/model.safetensors  # slim --weights
    fi
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

MODEL_DIR=restore/models/default
BIG_MODEL_FILES=(model.safetensors ngram.bin encoder.int8.onnx candidates.tsv.gz calibration.json)
LIMIT=$((64 * 1048576))

travel_bytes() {
    # What the device tool carries: tracked files, untracked files git does not ignore, and .gpu.
    local tracked untracked
    tracked=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
    untracked=$(git ls-files -z -o --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)
    echo $((tracked + ${untracked:-0} + $(du -sb .gpu | cut -f1)))
}

slim() {
    # The shipped model's large files (over 100 MiB) would not fit the device tool's 64 MiB: take them out
    # of git's index for the device call and ignore them (the files stay on disk); with --weights, carry
    # the weights gzipped in .gpu/weights (continue from them: fits only with the small news corpora).
    local f
    for f in "${BIG_MODEL_FILES[@]}"; do
        git rm -q --cached --ignore-unmatch "$MODEL_DIR/$f"
        grep -qx "/$MODEL_DIR/$f" .git/info/exclude 2>/dev/null || echo "/$MODEL_DIR/$f" >> .git/info/exclude
    done
    rm -rf .gpu/weights
    if [[ "${1:-}" == "--weights" ]]; then
        mkdir -p .gpu/weights
        gzip -c -9 "$MODEL_DIR/model.safetensors" > .gpu/weights/model.safetensors.gz
    fi
    local size
    size=$(travel_bytes)
    echo "travels: $((size / 1048576)) MiB of the device tool's 64"
    if ((size > LIMIT)); then
        echo "over the limit: prepare with fewer corpora (GPU_SOURCES='wikinews current-events'), or start from scratch" >&2
        unslim
        exit 1
    fi
    if [[ "${1:-}" == "--weights" ]]; then
        echo 'device: run(command="bash training/gpu_session.sh run", carry=[".gpu"], timeout_s=600)'
    else
        echo 'device: run(command="bash training/gpu_session.sh run --init_from scratch", carry=[".gpu"], timeout_s=600)'
    fi
    echo "then, here: bash training/gpu_session.sh unslim"
}

unslim() {
    # Undo slim: the large files back in git's index as they are in HEAD, no longer ignored.
    local f
    for f in "${BIG_MODEL_FILES[@]}"; do
        git reset -q HEAD -- "$MODEL_DIR/$f" 2>/dev/null || true
        if [[ -f .git/info/exclude ]]; then
            grep -vx "/$MODEL_DIR/$f" .git/info/exclude > .git/info/exclude.tmp || true
            mv .git/info/exclude.tmp .git/info/exclude
        fi
    done
    rm -rf .gpu/weights
    git status --short -- "$MODEL_DIR"
}

case "${1:-}" in
    prepare) prepare ;;
    run) shift; run "$@" ;;
    slim) shift; slim "$@" ;;
    unslim) unslim ;;
    *) echo "usage: bash training/gpu_session.sh prepare | slim [--weights] | run [training.gpu_session flags] | unslim" >&2; exit 2 ;;
esac
