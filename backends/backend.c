/* backend.c: the registry of backends, MTAs first. */
#include "backends/backend.h"

#include <string.h>

const struct backend *const backends[] = {
	&backend_postfix,
	&backend_opensmtpd,
	&backend_opendkim,
	&backend_dkimproxy,
	NULL
};

const struct backend *
backend_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; backends[i] != NULL; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}
