#!/usr/bin/perl
# Writes a small GeoIP2-Country-shaped .mmdb for tests: reads JSON {"<cidr>": "<ISO country>", ...} on stdin,
# writes the database to the path given as the only argument. Uses Debian's libmaxmind-db-writer-perl.
use strict;
use warnings;
use JSON::PP;
use MaxMind::DB::Writer::Tree;

my $out = shift @ARGV or die "usage: make-mmdb.pl OUT.mmdb < networks.json\n";
my $json = do { local $/; <STDIN> };
my $networks = JSON::PP->new->decode($json);

my %types = (
  country  => 'map',
  iso_code => 'utf8_string',
  names    => 'map',
  en       => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version              => 6,
  record_size             => 24,
  database_type           => 'GeoIP2-Country',
  languages               => ['en'],
  description             => { en => 'Parley test GeoIP database' },
  map_key_type_callback   => sub { $types{ $_[0] } },
  # Tests use documentation and private ranges, which the writer drops by default.
  remove_reserved_networks => 0,
  alias_ipv6_to_ipv4      => 1,
);

for my $cidr (sort keys %$networks) {
  my $cc = $networks->{$cidr};
  $tree->insert_network($cidr, { country => { iso_code => $cc, names => { en => $cc } } });
}

open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh or die "cannot close $out: $!\n";
