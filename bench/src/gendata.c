/*
 * gendata.c - deterministic, text-like input for the compression workload.
 *
 * Usage: gendata MIB > FILE
 *
 * Writes MIB MiB of lines made of words drawn from a fixed vocabulary with a
 * skewed (roughly Zipf-like) distribution by a fixed-seed xorshift PRNG, plus
 * decimal numbers. gzip -6 compresses it about 3:1: enough matches to
 * exercise the LZ77 search and enough entropy to exercise Huffman coding,
 * unlike /dev/zero or `seq`. The output is the same on every run and VMM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *words[] = {
	"the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was",
	"with", "be", "by", "on", "not", "he", "this", "are", "or", "his", "from",
	"at", "which", "but", "have", "an", "had", "they", "you", "were", "their",
	"one", "all", "we", "can", "her", "has", "there", "been", "if", "more",
	"when", "will", "would", "who", "so", "no", "virtual", "machine", "monitor",
	"hypervisor", "guest", "kernel", "interrupt", "translation", "register",
	"memory", "page", "table", "device", "queue", "descriptor", "emulation",
	"processor", "instruction", "privilege", "supervisor", "benchmark",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	long want = (argc > 1 ? atol(argv[1]) : 16) << 20;
	size_t nwords = sizeof(words) / sizeof(words[0]);
	static char buf[1 << 16];
	size_t len = 0;
	long out = 0;

	while (out < want) {
		uint64_t r = next();
		/* min of two uniform draws: small indices (common words) dominate */
		size_t a = r % nwords, b = (r >> 20) % nwords;
		size_t w = a < b ? a : b;
		char tmp[32];
		int n;

		if ((r >> 40) % 16 == 0)
			n = snprintf(tmp, sizeof(tmp), "%u ", (unsigned)((r >> 44) % 100000));
		else
			n = snprintf(tmp, sizeof(tmp), "%s%s", words[w], (r >> 56) % 12 == 0 ? ".\n" : " ");
		if (len + n > sizeof(buf)) {
			fwrite(buf, 1, len, stdout);
			out += len;
			len = 0;
		}
		memcpy(buf + len, tmp, n);
		len += n;
	}
	if (len)
		fwrite(buf, 1, len, stdout);
	return 0;
}
