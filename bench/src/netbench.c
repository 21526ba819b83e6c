/* SPDX-License-Identifier: MIT */
/*
 * netbench.c - the guest side of bench/net.py: move bytes over one TCP
 * connection with large reads and writes, so that what is measured is the
 * network path (virtio-net, the VMM's back end) rather than a shell tool's
 * small buffer (busybox nc copies 1 KiB at a time).
 *
 *   netbench send HOST PORT BYTES   connect, write BYTES zero bytes in
 *                                   64 KiB writes, half-close, wait for EOF
 *   netbench recv HOST PORT         connect, read until EOF, print the count
 *
 * It never reads the clock (the host times the transfer), so it runs the
 * same on any VMM. Built static by bench/net.py with riscv64-linux-gnu-gcc.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 65536

static char buf[CHUNK];

static int dial(const char *host, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port))};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("netbench: connect");
		exit(1);
	}
	return s;
}

static int do_send(int s, long long n)
{
	while (n > 0) {
		ssize_t w = write(s, buf, n < CHUNK ? (size_t)n : CHUNK);
		if (w <= 0) {
			perror("netbench: write");
			return 1;
		}
		n -= w;
	}
	shutdown(s, SHUT_WR);
	while (read(s, buf, sizeof(buf)) > 0)
		;
	return 0;
}

static int do_recv(int s)
{
	long long n = 0;
	ssize_t r;
	while ((r = read(s, buf, sizeof(buf))) > 0)
		n += r;
	if (r < 0) {
		perror("netbench: read");
		return 1;
	}
	printf("%lld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send"))
		return do_send(dial(argv[2], argv[3]), atoll(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return do_recv(dial(argv[2], argv[3]));
	fprintf(stderr, "usage: netbench send HOST PORT BYTES | recv HOST PORT\n");
	return 2;
}
