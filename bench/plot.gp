# SPDX-License-Identifier: MIT
# plot.gp: the benchmark's chart. Top: one group per op, one bar per
# path, cycles per call on a log scale. Bottom (when the map workload
# ran): cycles per op of the map/unmap workload by N, one line per mode.
# usage: gnuplot -c bench/plot.gp DATA.dat OUT.svg "TITLE" [MAP.dat]
set terminal svg size 1100,900 dynamic font "Helvetica,11" background "white"
set output ARG2
set datafile missing "NaN"
set multiplot layout 2,1 title ARG3 noenhanced

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
plot for [i=2:7] ARG1 using i:xtic(1) title columnheader(i)

if (ARGC >= 4) {
	set style data linespoints
	set logscale x 2
	set logscale y 10
	set xtics norotate
	set xlabel "N pages mapped, touched and unmapped (3N ops)"
	set ylabel "cycles per op (log scale)"
	plot for [i=2:4] ARG4 using 1:i title columnheader(i) lw 2 pt 7
}
unset multiplot
