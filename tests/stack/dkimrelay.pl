#!/usr/bin/perl
# tests/stack/dkimrelay.pl: a signing SMTP relay standing in for dkimproxy
# (dkimproxy.out), which Debian 12 does not package, built on the library
# dkimproxy itself wraps: libmail-dkim-perl (Mail::DKIM::Signer).
#
# usage: dkimrelay.pl [--check] CONF
#
# Everything comes from CONF, a dkimproxy_out.conf as dkimproxy reads it
# (dkimproxy.out(8), its Net::Server configuration file: one "name value"
# a line, "#" starts a comment, "signature" may repeat), so a test that
# mails through it proves the file:
#   listen HOST:PORT	where it accepts SMTP
#   relay HOST:PORT	where it hands each message on (port 25 if none)
#   domain D1,D2	the sender domains it signs: one domain signs every
#			message; several, the one matching the sender (From:
#			or Sender:), walking up its parent domains
#   signature SPEC	type(opt=value,...): type dkim or domainkeys,
#			options c (method), a (algorithm), d, s, key, i, h;
#			dkim with no option when none is given
#   keyfile, selector, method	the defaults of every signature
#   sender_map FILE	"address-or-domain SPEC[, SPEC]" lines, looked up
#			for the sender's full address, without a +extension,
#			its domain, each parent domain, then "."; the domain
#			is the key found unless d= says otherwise
#   user, group		privileges dropped to after listening
#   pidfile		its PID written there
#   reject_error	a signing error refused with 450/550 (else relayed
#			unsigned, as dkimproxy does)
# The other options dkimproxy takes (Net::Server's daemonize, min_servers,
# ...) are accepted and ignored; any other name, a missing listen or relay,
# an unreadable keyfile, a selector or domain missing, an invalid method or
# signature type is an error, as it is for dkimproxy.out at start.  No
# "algorithm" default is given to Mail::DKIM, as dkimproxy gives none: a
# signature without a= is rsa-sha1.
#
# It proxies each session as dkimproxy does: a client's connection opens
# one to the relay (421 when it is down), MAIL, RCPT, RSET and NOOP are
# passed through with the relay's answers, and at the end of DATA the
# message goes on with the DKIM-Signature lines prepended.  One line per
# message on stderr: "signed d=... s=... a=..." (one per signature),
# "unsigned: why", then "relayed: REPLY".  --check reads and checks CONF,
# prints "CONF: OK" and exits (0, or 1 with the error).
use strict;
use warnings;

use IO::Socket::INET;
use Mail::DKIM::Signer;
use Mail::DKIM::Signature;
use Mail::DKIM::DkSignature;
use POSIX qw(setgid setuid);

my %ignored = map { $_ => 1 } qw(daemonize min_servers max_servers
    min_spare_servers max_spare_servers max_requests conf_file
    relay_timeout client_timeout debugtrace);
my %single = map { $_ => 1 } qw(listen relay domain keyfile selector method
    sender_map user group pidfile reject_error identity);

my $check = @ARGV && $ARGV[0] eq "--check" ? shift @ARGV : 0;
my $conf_path = shift @ARGV or die "usage: dkimrelay.pl [--check] CONF\n";
my %conf = (signature => []);
my @map;	# [key, value] of the sender map, in its order

sub fail { die "dkimrelay: $conf_path: @_\n" }

# The configuration, as Net::Server reads it (name, blanks, value).
sub read_conf {
	open my $fh, "<", $conf_path or fail "cannot read: $!";
	while (my $line = <$fh>) {
		$line =~ s/#.*//;
		next if $line =~ /^\s*$/;
		$line =~ /^\s*(\w+)(?:\s*[=:]\s*|\s+)(.+?)\s*$/ or
		    fail "line $.: not \"name value\"";
		my ($k, $v) = (lc $1, $2);
		if ($k eq "signature") { push @{$conf{signature}}, $v }
		elsif ($single{$k}) { $conf{$k} = $v }
		elsif (!$ignored{$k}) { fail "line $.: dkimproxy has no option $k" }
	}
	close $fh;
}

sub host_port {
	my ($s, $default) = @_;
	return ($1, $2 // $default) if $s =~ /^\[(.*)\](?::(\d+))?$/;
	return ($1, $2) if $s =~ /^([^:]+):(\d+)$/;
	return ($s, $default);
}

# A signature specifier, type(opt=value,...), over the global defaults.
my %alias = (key => "keyfile", s => "selector", d => "domain",
    c => "method", a => "algorithm", h => "headers", i => "identity");
sub parse_spec {
	my ($spec) = @_;
	my %o = (keyfile => $conf{keyfile}, selector => $conf{selector},
	    method => $conf{method});
	$spec =~ s/^\s+|\s+$//g;
	$spec =~ s/^(\w+)// or fail "invalid signature specifier '$spec'";
	$o{signature} = $1;
	if ($spec =~ /^\((.*)\)$/) {
		for my $opt (split /,\s*/, $1) {
			my ($n, $v) = split /=/, $opt, 2;
			$o{$alias{$n} // $n} = $v;
		}
	} elsif ($spec ne "") {
		fail "invalid signature specifier '$spec'";
	}
	return \%o;
}

# What dkimproxy checks of a signature at start.
sub check_spec {
	my ($o, $where) = @_;
	fail "$where: no keyfile" unless defined $o->{keyfile};
	fail "$where: cannot read keyfile $o->{keyfile}" unless -r $o->{keyfile};
	fail "$where: domain not specified" unless $o->{domain};
	fail "$where: selector not specified" unless defined $o->{selector};
	my %methods = (dkim => [qw(simple relaxed nowsp)],
	    domainkeys => [qw(simple nofws)]);
	my $m = $methods{$o->{signature}} or
	    fail "$where: invalid signature type $o->{signature}";
	$o->{method} //= $o->{signature} eq "dkim" ? "relaxed" : "nofws";
	grep { $o->{method} eq $_ } @$m or
	    fail "$where: invalid method $o->{method}";
}

# Split at the commas outside parentheses.
sub split_specs {
	my ($s) = @_;
	my @out;
	my ($cur, $depth) = ("", 0);
	for my $c (split //, $s) {
		if ($c eq "," && $depth == 0) { push @out, $cur; $cur = ""; next }
		$depth++ if $c eq "(";
		$depth-- if $c eq ")";
		$cur .= $c;
	}
	push @out, $cur if $cur =~ /\S/;
	return map { s/^\s+|\s+$//gr } @out;
}

sub load_map {
	open my $fh, "<", $conf{sender_map} or
	    fail "sender_map $conf{sender_map}: $!";
	while (<$fh>) {
		chomp;
		next if /^\s*$/ || /^\s*[#;]/;
		push @map, [$1, $2] if /^(\S+)\s+(.*)$/;
	}
	close $fh;
}

my @defaults;
sub configure {
	read_conf();
	fail "listen is missing" unless defined $conf{listen};
	fail "relay is missing" unless defined $conf{relay};
	my ($lh, $lp) = host_port($conf{listen}, undef);
	fail "listen $conf{listen}: no port" unless defined $lp;
	@{$conf{signature}} = ("dkim") unless @{$conf{signature}} ||
	    defined $conf{sender_map};
	for my $s (@{$conf{signature}}) {
		my $o = parse_spec($s);
		$o->{domain} //= $conf{domain};
		check_spec({%$o}, "signature $s");
		delete $o->{domain};
		push @defaults, $o;
	}
	load_map() if defined $conf{sender_map};
}

# The map's value for an address: the best key, and the key.
sub map_lookup {
	my ($addr) = @_;
	$addr = lc $addr;
	my @keys = ($addr);
	push @keys, $addr if $addr =~ s/\+.*\@/\@/;
	push @keys, $addr if $addr =~ s/^.*\@//;
	push @keys, $addr while $addr =~ s/^[^.]+\.//;
	push @keys, ".";
	for my $k (@keys) {
		for my $e (@map) {
			return ($e->[1], $k) if $e->[0] eq $k;
		}
	}
	return;
}

# The signatures for this message, as dkimproxy's signer policy picks them.
sub signatures {
	my ($signer) = @_;
	my $sender = $signer->message_sender;
	my ($addr, $host) = ($sender->address // "", lc($sender->host // ""));
	if (@map) {
		my ($value, $key) = map_lookup($addr);
		if (defined $value) {
			$key = $1 if $key =~ /\@(.*)$/;
			return map { { domain => $key, %{parse_spec($_)} } }
			    split_specs($value);
		}
	}
	my @domains = split /,/, $conf{domain} // "";
	my $domain = $domains[0];
	if (@domains > 1) {
		$domain = undef;
		for (my $d = $host; $d ne ""; $d =~ s/^[^.]*\.?//) {
			($domain) = grep { lc $_ eq $d } @domains;
			last if defined $domain;
		}
		return () unless defined $domain;
	}
	return () unless defined $domain;
	return map { { domain => $domain, %$_ } } @defaults;
}

sub policy {
	my ($signer) = @_;
	my %class = (dkim => "Mail::DKIM::Signature",
	    domainkeys => "Mail::DKIM::DkSignature");
	for my $o (signatures($signer)) {
		check_spec($o, "signature for $o->{domain}");
		if ($o->{signature} eq "domainkeys") {
			my $h = $signer->message_sender->host // "";
			next unless $h =~ /(^|\.)\Q$o->{domain}\E$/i;
		}
		my $sig = $class{$o->{signature}}->new(
		    Algorithm => $o->{algorithm}, Method => $o->{method},
		    Domain => $o->{domain}, Selector => $o->{selector},
		    Identity => $o->{identity}, Headers => $signer->headers);
		$sig->{KeyFile} = $o->{keyfile};
		$signer->add_signature($sig);
	}
	return;
}

# ---- SMTP ----

sub put { my ($fh, $line) = @_; print $fh "$line\r\n" }

# A reply (its lines joined), or undef when the peer went away.
sub reply {
	my ($fh) = @_;
	my $all = "";
	while (my $l = <$fh>) {
		$all .= $l;
		return $all if $l =~ /^\d{3}(?: |\r?\n)/ || $l !~ /^\d{3}-/;
	}
	return undef;
}

sub relay_open {
	my ($h, $p) = host_port($conf{relay}, 25);
	my $s = IO::Socket::INET->new(PeerAddr => $h, PeerPort => $p,
	    Proto => "tcp", Timeout => 10) or return undef;
	$s->autoflush(1);
	my $r = reply($s);
	return undef unless defined $r && $r =~ /^2/;
	put($s, "EHLO dkimrelay");
	$r = reply($s);
	return defined $r && $r =~ /^2/ ? $s : undef;
}

# The message of a DATA phase, dot-stuffing undone, CRLF line ends.
sub read_data {
	my ($c) = @_;
	my $msg = "";
	while (my $l = <$c>) {
		last if $l =~ /^\.\r?\n$/;
		$l =~ s/^\.\././;
		$l =~ s/\r?\n$/\r\n/;
		$msg .= $l;
	}
	return $msg;
}

sub sign {
	my ($msg) = @_;
	my ($dkim, @sigs);
	eval {
		$dkim = Mail::DKIM::Signer->new(Policy => \&policy,
		    KeyFile => $conf{keyfile}, Method => $conf{method},
		    Selector => $conf{selector});
		$dkim->PRINT($msg);
		$dkim->CLOSE;
		@sigs = $dkim->signatures;
	};
	if (my $e = $@) {
		$e =~ s/\s+/ /g;
		print STDERR "unsigned: signing error: $e\n";
		return (undef, "temperror ($e)");
	}
	print STDERR "unsigned: $dkim->{result}\n" unless @sigs;
	for my $s (@sigs) {
		printf STDERR "signed d=%s s=%s a=%s\n", $s->domain,
		    $s->selector, $s->algorithm;
	}
	return (join("", map { $_->as_string . "\r\n" } @sigs), undef);
}

sub data {
	my ($c, $r) = @_;
	put($r, "DATA");
	my $go = reply($r) // "421 relay gone\r\n";
	print $c $go;
	return unless $go =~ /^3/;
	my $msg = read_data($c);
	my ($head, $err) = sign($msg);
	if (defined $err && $conf{reject_error}) {
		put($r, "RSET");
		reply($r);
		put($c, "450 DKIM - $err");
		return;
	}
	for my $l (split /(?<=\n)/, ($head // "") . $msg) {
		print $r $l =~ /^\./ ? ".$l" : $l;
	}
	put($r, ".");
	my $done = reply($r) // "421 relay gone\r\n";
	print STDERR "relayed: $done";
	print $c $done;
}

sub session {
	my ($c) = @_;
	$c->autoflush(1);
	my $r = relay_open();
	unless ($r) {
		put($c, "421 Internal error (Next hop is down)");
		print STDERR "refused: the relay $conf{relay} is down\n";
		return;
	}
	put($c, "220 dkimrelay ESMTP (dkimproxy stand-in)");
	while (my $l = <$c>) {
		my $verb = uc substr($l, 0, 4);
		if ($verb eq "EHLO" || $verb eq "HELO") {
			put($c, "250 dkimrelay");
		} elsif ($verb eq "DATA") {
			data($c, $r);
		} elsif ($verb eq "QUIT") {
			put($r, "QUIT");
			put($c, "221 bye");
			last;
		} else {
			$l =~ s/\r?\n$//;
			put($r, $l);
			print $c reply($r) // "421 relay gone\r\n";
		}
	}
	close $r;
}

configure();
if ($check) {
	print "$conf_path: OK\n";
	exit 0;
}
my ($lh, $lp) = host_port($conf{listen}, undef);
my $srv = IO::Socket::INET->new(LocalAddr => $lh, LocalPort => $lp,
    Listen => 16, ReuseAddr => 1, Proto => "tcp") or
    fail "listen $conf{listen}: $!";
if (defined $conf{group}) {
	my $gid = getgrnam($conf{group}) // fail "no group $conf{group}";
	setgid($gid) or fail "setgid $conf{group}: $!";
}
if (defined $conf{user}) {
	my $uid = getpwnam($conf{user}) // fail "no user $conf{user}";
	setuid($uid) or fail "setuid $conf{user}: $!";
}
if (defined $conf{pidfile}) {
	open my $p, ">", $conf{pidfile} or fail "pidfile: $!";
	print $p "$$\n";
	close $p;
}
$SIG{PIPE} = "IGNORE";
$| = 1;
print STDERR "listening on $conf{listen}, relaying to $conf{relay}\n";
while (my $c = $srv->accept) {
	eval { session($c) };
	print STDERR "session error: $@" if $@;
	close $c;
}
