/* replay: a main() for a harness built without libFuzzer.  Feeds every
 * file named on the command line (a directory: every file in it) to
 * LLVMFuzzerTestOneInput once, so `make check` replays the corpus. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static unsigned long replayed;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	size_t cap = 4096, len = 0;
	unsigned char *data = malloc(cap);
	size_t got;
	while (data && (got = fread(data + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap)
			data = realloc(data, cap *= 2);
	}
	if (!data || ferror(f)) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(2);
	}
	fclose(f);
	/* A copy of exactly len bytes, so reading past the input is caught
	 * by AddressSanitizer as it is under libFuzzer. */
	unsigned char *input = malloc(len ? len : 1);
	memcpy(input, data, len);
	free(data);
	if (getenv("REPLAY_VERBOSE"))
		fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(input, len);
	free(input);
	replayed++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_path(const char *path)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, by_name);
	if (n < 0) {
		replay_file(path);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char *file = malloc(strlen(path) + strlen(names[i]->d_name) + 2);
			sprintf(file, "%s/%s", path, names[i]->d_name);
			replay_file(file);
			free(file);
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		replay_path(argv[i]);
	/* Not to stdout: a session harness has put its own file on fd 1. */
	fprintf(stderr, "%s: %lu inputs replayed, no failure\n", argv[0], replayed);
	return 0;
}
