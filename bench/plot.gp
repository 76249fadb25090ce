# SPDX-License-Identifier: MIT
# plot.gp: the benchmark's bar chart: one group per op, one bar per path,
# cycles per call on a log scale.
# usage: gnuplot -c bench/plot.gp DATA.dat OUT.svg "TITLE"
set terminal svg size 1100,540 dynamic font "Helvetica,11" background "white"
set output ARG2
set title ARG3 noenhanced
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set autoscale y
set ylabel "cycles per call (log scale, loop overhead subtracted)"
set grid ytics
set xtics noenhanced rotate by -20
set key outside right top noenhanced
set datafile missing "NaN"
plot for [i=2:7] ARG1 using i:xtic(1) title columnheader(i)
