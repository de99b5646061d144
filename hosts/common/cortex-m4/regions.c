/* The part images' flash regions, from the board's link.ld (every board defines the same
 * __region_<part>_start/_size symbols). */
#include <string.h>
#include "board.h"

extern const uint8_t __region_legal_start[], __region_legal_size[];
extern const uint8_t __region_plc_start[], __region_plc_size[];
extern const uint8_t __region_nonlegal_start[], __region_nonlegal_size[];

const board_region_t *board_region(const char *name)
{
	static const board_region_t regions[] = {
		{ "legal", __region_legal_start, (size_t)__region_legal_size },
		{ "plc", __region_plc_start, (size_t)__region_plc_size },
		{ "nonlegal", __region_nonlegal_start, (size_t)__region_nonlegal_size },
	};
	for (unsigned i = 0; i < sizeof regions / sizeof regions[0]; i++)
		if (!strcmp(regions[i].name, name))
			return &regions[i];
	return NULL;
}
