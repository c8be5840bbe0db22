# Sourced by the bench scripts: what they share.

# a free loopback port
free_port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
        LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'
}

# the start of an nginx.conf with the module, its state in $1, $2 worker
# processes; the caller writes the rest of the http block and closes it
nginx_conf_head() {
    cat <<CONF
load_module $build/ngx_http_attck_module.so;
worker_processes $2;
pid $1/nginx.pid;
error_log $1/logs/error.log notice;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
    keepalive_requests 1000000;
CONF
}

# waits up to 10 s for a URL to answer 2xx
wait_url() {
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
