/* The metering driver (xs_metro.c) to the grid model's controls (drivers/gridmodel). */
#ifndef METRO_H
#define METRO_H

#include "xsruntime.h"

/* Starts the metering if it has not started (layout from layout(), or METRO_PHASES); returns
 * the layout's phases. */
uint8_t metro_start(xsMachine *the);

#endif
