/* Cortex-M4 board entry: the part images sit in their own flash regions (link.ld); the
 * runtime checks each before anything runs from it. */
#include "board.h"
#include "xsruntime.h"

int main(void)
{
	static const char *const names[IMAGE_PART_COUNT] = { NULL, "legal", "plc", "nonlegal" };
	runtime_config_t config = { { 0 }, { 0 } };
	board_init();
	for (int part = IMAGE_PART_LEGAL; part < IMAGE_PART_COUNT; part++) {
		const board_region_t *region = board_region(names[part]);
		config.region[part] = region ? region->address : NULL;
		config.region_size[part] = region ? region->size : 0;
	}
	return runtime_main(&config);
}
