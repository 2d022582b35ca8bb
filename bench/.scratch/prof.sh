#!/bin/bash
# usage: prof.sh variant topics frames outdir
cd /work/main
node --import tsx bench/throughput/sender.ts ws $2 $3 > /tmp/sender.out &
SP=$!
