#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# normalize.pl - turn log lines of many layouts into "host program: message"
# pool lines for bench-gen, which puts one syslog time stamp in front of each.
#
#   perl bench/normalize.pl FILE...   > pool.txt
#
# The time stamp a line carries is dropped; where the layout names no host and
# program (charon and pluto file logs, Windows CBS), a fixed one is added.
use strict;
use warnings;

my $mon = qr/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/;
while (my $l = <>) {
	$l =~ s/\r?\n\z//;
	next if $l eq '';
	if ($l =~ s/^$mon +\d+ [\d:]+ (?=\d+\[[A-Z]+\d?\])// ||
	    $l =~ s/^\d+ $mon [\d:]+ (?=\d+\[[A-Z]+\d?\])// ||
	    $l =~ s/^\d{4}-\d\d-\d\dT\S+ (?=\d+\[[A-Z]+\d?\])//) {
		print "gw1 charon: $l\n";            # charon file log, normal or debug
	} elsif ($l =~ s/^$mon +\d+ [\d:]+ (?=\S+ [^\s:]+: )// ||
		 $l =~ s/^\d{4}-\d\d-\d\dT\S+ (?=\S+ [^\s:]+: )//) {
		print "$l\n";                        # syslog: host and program follow
	} elsif ($l =~ s/^$mon +\d+ [\d:.]+: //) {
		print "gw2 pluto[2101]: $l\n";       # libreswan pluto file log
	} elsif ($l =~ s/^\d{4}-\d\d-\d\d [\d:]+, //) {
		print "win1 CBS: $l\n";              # Windows CBS log (loghub)
	} elsif ($l =~ s/^$mon +\d+ [\d:]+ //) {
		print "$l\n";                        # syslog with an odd program field
	}
}
