#!/bin/sh
# Stands in for the faultline CLI in tests: records each call, one per line,
# and exits with $FAKE_FAULTLINE_EXIT (0 by default). `kill --every` runs
# until it is terminated, like the real command.
echo "$*" >> "${FAKE_FAULTLINE_LOG:-/dev/null}"
case " $* " in
  *" --every "*) trap 'echo "terminated $*" >> "${FAKE_FAULTLINE_LOG:-/dev/null}"; exit 0' TERM; while :; do sleep 0.05; done ;;
esac
exit "${FAKE_FAULTLINE_EXIT:-0}"
