/*
 * sortbench.c - branchy integer workload: sorting and hashing.
 *
 * Usage: sortbench ROUNDS [LOG2KEYS]
 *
 * Each round fills an array of 2^LOG2KEYS (default 2^20 = 1 Mi) pseudo-
 * random 32-bit keys (fixed-seed xorshift), sorts it with libc qsort (an
 * indirect call per comparison: unpredictable branches and calls), then
 * counts distinct keys in an open-addressing hash table of 4x as many slots
 * (16 MiB at the default: random accesses, TLB and cache misses). Unlike sha256, whose inner loop is straight-line
 * ALU work, this is the kind of code where an emulator's block dispatch,
 * indirect-branch handling and TLB matter. Prints a checksum so that two
 * VMMs running this same binary can be compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1;
	int lg = argc > 2 ? atoi(argv[2]) : 20;
	uint32_t *keys, *slots;
	uint64_t sum = 0;

	if (lg < 10 || lg > 24) {
		fprintf(stderr, "sortbench: LOG2KEYS must be 10..24\n");
		return 2;
	}
	const uint32_t NKEYS = 1u << lg, NSLOTS = 4u << lg;

	keys = malloc(NKEYS * sizeof(*keys));
	slots = malloc(NSLOTS * sizeof(*slots));

	if (!keys || !slots) {
		fprintf(stderr, "sortbench: out of memory\n");
		return 1;
	}
	for (long r = 0; r < rounds; r++) {
		uint32_t distinct = 0;

		for (uint32_t i = 0; i < NKEYS; i++)
			keys[i] = next() % (NKEYS * 4);
		qsort(keys, NKEYS, sizeof(*keys), cmp);
		for (uint32_t i = 0; i < NKEYS; i += 4099)
			sum = sum * 31 + keys[i];

		/* slot value 0 = empty; store key+1 */
		memset(slots, 0, NSLOTS * sizeof(*slots));
		for (uint32_t i = 0; i < NKEYS; i++) {
			uint32_t k = keys[(i * 2654435761u) % NKEYS] + 1;
			uint32_t h = (k * 0x9e3779b1u) >> (30 - lg);

			while (slots[h] && slots[h] != k)
				h = (h + 1) & (NSLOTS - 1);
			if (!slots[h]) {
				slots[h] = k;
				distinct++;
			}
		}
		sum = sum * 31 + distinct;
	}
	printf("sortbench rounds=%ld keys=2^%d checksum=%016llx\n", rounds, lg, (unsigned long long)sum);
	return 0;
}
