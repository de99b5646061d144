/* The metering driver (xs_metro.c) to the grid model's controls (drivers/gridmodel). */
#ifndef METRO_H
#define METRO_H

#include "xsruntime.h"

/* Starts the metering if it has not started (layout from layout(), or METRO_PHASES); returns
 * the layout's phases. */
uint8_t metro_start(xsMachine *the);

/* The seconds measured since boot: the DSP second the next measured second carries (METRO's
 * record second + 1; 0 before the first). METRO LOAD's `from second=`. */
uint32_t metro_seconds(void);

#endif
