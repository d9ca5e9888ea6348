/* The job's first process in bench/submit: writes CLOCK_MONOTONIC in nanoseconds to the file named by argv[1]
 * (through a rename, so a reader never sees half a number) and exits. No shell in front of it: the stamp is taken
 * by the container's own first process. Containers share the host's monotonic clock (podman makes no time
 * namespace), which is the clock .NET's Stopwatch reads on Linux. */
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
    struct timespec now;
    char temporary[4096];
    FILE *f;

    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0 || argc != 2)
        return 2;
    if (snprintf(temporary, sizeof temporary, "%s.new", argv[1]) >= (int)sizeof temporary)
        return 2;
    f = fopen(temporary, "w");
    if (f == NULL)
        return 1;
    fprintf(f, "%lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
    if (fclose(f) != 0)
        return 1;
    return rename(temporary, argv[1]) == 0 ? 0 : 1;
}
