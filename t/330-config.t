# The worker's configuration file: the shipped example loads cleanly, a
# file drives a run, the environment wins over it, and mistakes are said.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Attck::Test qw(worker run_cmd spew);

my $dir = File::Temp::tempdir(CLEANUP => 1);

# the example: every setting known, nothing said about it
my $example = "$FindBin::Bin/../conf/attck-worker.yaml";
my ($rc, $out) = run_cmd(worker(), '--config', $example, 'ingest', '--help');
is($rc, 0, 'the example configuration loads');
unlike($out, qr/level=(warn|error)/, 'without a warning');

# a file drives the run: the database URL comes from it
my $pg = Attck::Test->start_postgres;
delete $ENV{ATTCK_DATABASE_URL};
spew("$dir/ok.yaml", "database:\n  url: " . $pg->url . "\n  migrations: "
                     . "$FindBin::Bin/../sql\n");
chmod 0600, "$dir/ok.yaml";
($rc, $out) = run_cmd(worker(), '--config', "$dir/ok.yaml", 'migrate');
is($rc, 0, 'migrate with the database from the file') or diag $out;
unlike($out, qr/level=warn/, 'a file only its owner reads: no warning');
is($pg->query('SELECT count(*) > 0 FROM schema_migrations'), 't', 'it reached that database');
unlike($out, qr/postgresql:\/\//, 'the URL is not printed');

{
    local $ENV{ATTCK_CONFIG} = "$dir/ok.yaml";
    ($rc, $out) = run_cmd(worker(), 'migrate');
    is($rc, 0, '$ATTCK_CONFIG names the file too');
}

# the environment wins over the file
{
    local $ENV{ATTCK_DATABASE_URL} = 'postgresql://attck@127.0.0.1:1/nothing';
    ($rc, $out) = run_cmd(worker(), '--config', "$dir/ok.yaml", 'migrate');
    is($rc, 75, 'the environment\'s database wins (and cannot be reached)');
}

# secrets in a file every user can read
spew("$dir/open.yaml", "sources:\n  otx:\n    key: sekrit-value\n");
chmod 0644, "$dir/open.yaml";
($rc, $out) = run_cmd(worker(), '--config', "$dir/open.yaml", 'ingest', '--help');
like($out, qr/level=warn.*can be read by every user/, 'a readable file with a key: warned');
unlike($out, qr/sekrit-value/, 'the key is not printed');

spew("$dir/token.yaml", "export:\n  url: http://127.0.0.1:1/hec\n"
                        . "  token: siem-t0ken\n");
chmod 0644, "$dir/token.yaml";
($rc, $out) = run_cmd(worker(), '--config', "$dir/token.yaml", 'export',
                      '--help');
like($out, qr/level=warn.*can be read by every user/,
     'a readable file with an export token: warned');
unlike($out, qr/siem-t0ken/, 'the token is not printed');

spew("$dir/pw.yaml", "database:\n  url: postgresql://attck:hunter2\@127.0.0.1/x\n");
chmod 0644, "$dir/pw.yaml";
($rc, $out) = run_cmd(worker(), '--config', "$dir/pw.yaml", 'ingest', '--help');
like($out, qr/level=warn.*can be read by every user/, 'a readable file with a password in a URL: warned');
unlike($out, qr/hunter2/, 'the password is not printed');

# mistakes
spew("$dir/typo.yaml", "sources:\n  otx:\n    kye: x\n");
($rc, $out) = run_cmd(worker(), '--config', "$dir/typo.yaml", 'ingest', '--help');
like($out, qr/unknown setting sources\.otx\.kye/, 'an unknown setting is named');

spew("$dir/bad.yaml", "database: [unclosed\n");
($rc, $out) = run_cmd(worker(), '--config', "$dir/bad.yaml", 'migrate');
is($rc, 64, 'not YAML: 64');
like($out, qr/level=error.*bad\.yaml: line \d+/, 'with the line');

($rc, $out) = run_cmd(worker(), '--config', "$dir/missing.yaml", 'migrate');
is($rc, 64, 'a missing file: 64');

spew("$dir/list.yaml", "sources:\n  attack:\n    - a.json\n    - b.json\n");
($rc, $out) = run_cmd(worker(), '--config', "$dir/list.yaml", 'compile', '-o', "$dir/x.snap");
like($out, qr/a\.json/, 'a list of sources becomes ATTCK_SOURCES');
ok(!-e "$dir/x.snap", 'and the failed compile wrote nothing');

done_testing();
