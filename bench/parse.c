
/*
 * bench/parse: the time jansson takes to parse a file, the floor that
 * ingest is compared with.  Prints milliseconds.
 */


#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>


int
main(int argc, char **argv)
{
    double           ms;
    json_t          *root;
    json_error_t     je;
    struct timespec  a, b;

    if (argc != 2) {
        fprintf(stderr, "usage: parse FILE\n");
        return 64;
    }

    clock_gettime(CLOCK_MONOTONIC, &a);
    root = json_load_file(argv[1], 0, &je);
    clock_gettime(CLOCK_MONOTONIC, &b);

    if (root == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], je.text);
        return 65;
    }

    json_decref(root);

    ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    printf("%.0f\n", ms);

    return 0;
}
