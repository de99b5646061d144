/* Linux host: XS's Date.now() reads lin_gettimeofday() (force-included by tools/build.mjs for
 * lin only): the system's clock, except on the medium's simulated clock (and, with --sim-clock,
 * while waiting for its READY), where the date is a fixed epoch (2026-01-01T00:00:00Z) plus the
 * simulated time, so that a run is the same for the same seed. */
#ifndef LIN_LINTIME_H
#define LIN_LINTIME_H
#include <sys/time.h>
typedef struct timeval c_timeval;
#define c_timezone timezone
int lin_gettimeofday(struct timeval *tv, void *tz);
#define c_gettimeofday lin_gettimeofday
#endif
