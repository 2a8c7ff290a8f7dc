/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ioctl surface through the file layer (SPEC R-1, U-2): an input is a
 * sequence of opens of the host's device nodes (/dev/iommu, /dev/vfio/vfio,
 * groups, cdevs), ioctls with struct bytes (iommufd and its selftest and
 * uiommu commands, VFIO type1 on containers and on /dev/iommu, groups,
 * device fds and cdevs), reads and writes, mmaps and closes.
 *
 * Struct bytes are the input's; what the kernel would take as a user
 * pointer is steered to memory the harness owns (a scratch area between
 * guard pages, or the guard itself, or NULL) so a wild value cannot hit
 * the fuzzer's own heap - bad pointers as such are the file layer's to
 * answer (EFAULT) and are fuzzed that way. Every struct ends at a guard
 * page, so a size or argsz past the input's bytes faults like a short
 * user buffer. Descriptor fields pick among the input's open files.
 *
 * After each input every file of the host is closed, and the process-
 * wide pin count must be back to zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/iommufd_test.h>
#include <uapi/linux/vfio_cdev.h>
#include <uiommu/files.h>
#include <uiommu/host.h>
#include <uiommu/iommufd.h>
#include <uiommu/iommufd_ext.h>
#include <uiommu/mdev.h>

#include "fuzz.h"
#include "files/files_host.h"

#define SLOTS        8
#define MAX_NODES    64
#define PAGE         4096u
#define SCRATCH_SIZE (64u * PAGE)

static struct uiommu_host *host;
static char *nodes[MAX_NODES];
static unsigned nr_nodes;
static uint8_t *arg_page;   /* one page; the next is a guard */
static uint8_t *scratch;    /* SCRATCH_SIZE; guard pages on both sides */
static int memfd = -1, efd[2] = { -1, -1 };

enum arg_kind {
	ARG_STRUCT, /* bytes of the input, fixed up */
	ARG_VALUE,  /* an integer argument (VFIO_CHECK_EXTENSION, SET_IOMMU) */
	ARG_NONE,
	ARG_FDPTR,  /* a pointer to an int descriptor (GROUP_SET_CONTAINER) */
	ARG_NAME,   /* a device name (GROUP_GET_DEVICE_FD) */
};

struct cmd {
	unsigned long nr;
	enum arg_kind kind;
	int8_t ptr[3];   /* offsets of user pointers, -1: none */
	int8_t fd;       /* offset of an s32 descriptor, -1: none */
	uint8_t special; /* TEST_CMD, SET_IRQS */
};

enum { SP_NONE, SP_TEST, SP_IRQS };

#define P(...) { __VA_ARGS__ }
#define NOP    P(-1, -1, -1)

static const struct cmd cmds[] = {
	{ IOMMU_DESTROY, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_IOAS_ALLOC, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_IOAS_ALLOW_IOVAS, ARG_STRUCT, P(16, -1, -1), -1, 0 },
	{ IOMMU_IOAS_IOVA_RANGES, ARG_STRUCT, P(16, -1, -1), -1, 0 },
	{ IOMMU_IOAS_MAP, ARG_STRUCT, P(16, -1, -1), -1, 0 },
	{ IOMMU_IOAS_MAP_FILE, ARG_STRUCT, NOP, 12, 0 },
	{ IOMMU_IOAS_COPY, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_IOAS_UNMAP, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_OPTION, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_VFIO_IOAS, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_HWPT_ALLOC, ARG_STRUCT, P(32, -1, -1), -1, 0 },
	{ IOMMU_GET_HW_INFO, ARG_STRUCT, P(16, -1, -1), -1, 0 },
	{ IOMMU_HWPT_SET_DIRTY_TRACKING, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_HWPT_GET_DIRTY_BITMAP, ARG_STRUCT, P(40, -1, -1), -1, 0 },
	{ IOMMU_HWPT_INVALIDATE, ARG_STRUCT, P(8, -1, -1), -1, 0 },
	{ IOMMU_FAULT_QUEUE_ALLOC, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_IOAS_CHANGE_PROCESS, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_VIOMMU_ALLOC, ARG_STRUCT, P(32, -1, -1), -1, 0 },
	{ IOMMU_VDEVICE_ALLOC, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_VEVENTQ_ALLOC, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_HW_QUEUE_ALLOC, ARG_STRUCT, NOP, -1, 0 },
	{ IOMMU_TEST_CMD, ARG_STRUCT, NOP, -1, SP_TEST },
	{ UIOMMU_IOAS_NEST_ALLOC, ARG_STRUCT, NOP, -1, 0 },
	{ UIOMMU_IOAS_NEST_MAP, ARG_STRUCT, NOP, -1, 0 },
	{ UIOMMU_PASID_TRANSLATION, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_GET_API_VERSION, ARG_NONE, NOP, -1, 0 },
	{ VFIO_CHECK_EXTENSION, ARG_VALUE, NOP, -1, 0 },
	{ VFIO_SET_IOMMU, ARG_VALUE, NOP, -1, 0 },
	{ VFIO_IOMMU_GET_INFO, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_IOMMU_MAP_DMA, ARG_STRUCT, P(8, -1, -1), -1, 0 },
	{ VFIO_IOMMU_UNMAP_DMA, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_GROUP_GET_STATUS, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_GROUP_SET_CONTAINER, ARG_FDPTR, NOP, -1, 0 },
	{ VFIO_GROUP_UNSET_CONTAINER, ARG_NONE, NOP, -1, 0 },
	{ VFIO_GROUP_GET_DEVICE_FD, ARG_NAME, NOP, -1, 0 },
	{ VFIO_DEVICE_GET_INFO, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_DEVICE_GET_REGION_INFO, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_DEVICE_GET_IRQ_INFO, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_DEVICE_SET_IRQS, ARG_STRUCT, NOP, -1, SP_IRQS },
	{ VFIO_DEVICE_RESET, ARG_NONE, NOP, -1, 0 },
	{ VFIO_DEVICE_BIND_IOMMUFD, ARG_STRUCT, NOP, 8, 0 },
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, ARG_STRUCT, NOP, -1, 0 },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, ARG_STRUCT, NOP, -1, 0 },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

struct run {
	struct fz in;
	int fd[SLOTS];
};

static int slot_fd(struct run *r, uint8_t v)
{
	/* Mostly an open file; sometimes a memfd, an eventfd or garbage. */
	switch (v >> 5) {
	case 0:
		return memfd;
	case 1:
		return efd[v & 1];
	case 2:
		return (int)(int8_t)v;
	default:
		return r->fd[v % SLOTS];
	}
}

/* A user pointer the kernel side may reach: scratch, a guard, or NULL. */
static uint64_t steer_ptr(uint64_t v)
{
	switch (v & 3) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)(uintptr_t)(scratch + ((v >> 2) % SCRATCH_SIZE));
	case 2:
		return (uint64_t)(uintptr_t)(scratch - PAGE + ((v >> 2) % PAGE));
	default:
		return (uint64_t)(uintptr_t)scratch + (((v >> 2) % 16) << 12);
	}
}

static void fix_u64(uint8_t *s, unsigned len, int off)
{
	uint64_t v;
	if (off < 0 || (unsigned)off + 8 > len)
		return;
	memcpy(&v, s + off, 8);
	v = steer_ptr(v);
	memcpy(s + off, &v, 8);
}

static void fix_fd(struct run *r, uint8_t *s, unsigned len, int off)
{
	if (off < 0 || (unsigned)off + 4 > len)
		return;
	int32_t fd = slot_fd(r, s[off]);
	memcpy(s + off, &fd, 4);
}

/* IOMMU_TEST_CMD: the union's pointers and descriptors by op. */
static void fix_test_cmd(struct run *r, uint8_t *s, unsigned len)
{
	if (len < 8)
		return;
	uint32_t op;
	memcpy(&op, s + 4, 4);
	switch (op) {
	case IOMMU_TEST_OP_MD_CHECK_MAP:
	case IOMMU_TEST_OP_ACCESS_RW:
		fix_u64(s, len, 32);
		break;
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		fix_u64(s, len, 24);
		break;
	case IOMMU_TEST_OP_ACCESS_PAGES:
		fix_u64(s, len, 40);
		break;
	case IOMMU_TEST_OP_DIRTY:
		fix_u64(s, len, 48);
		break;
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		fix_fd(r, s, len, 16);
		break;
	}
	switch (op) {
	case IOMMU_TEST_OP_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_RW:
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		fix_fd(r, s, len, 8); /* the access descriptor */
		break;
	}
}

/* VFIO_DEVICE_SET_IRQS: the eventfds of DATA_EVENTFD, from offset 20. */
static void fix_irqs(struct run *r, uint8_t *s, unsigned len)
{
	for (unsigned off = 20; off + 4 <= len; off += 4)
		fix_fd(r, s, len, (int)off);
}

static void keep_fd(struct run *r, long rc)
{
	if (rc < 3 || !uiommu_is_file((int)rc))
		return;
	unsigned slot = fz_u8(&r->in) % SLOTS;
	if (r->fd[slot] >= 0)
		uiommu_close(r->fd[slot]);
	r->fd[slot] = (int)rc;
}

static void do_ioctl(struct run *r)
{
	int fd = slot_fd(r, fz_u8(&r->in));
	const struct cmd *c = &cmds[fz_u8(&r->in) % NR_CMDS];
	unsigned long arg = 0;
	switch (c->kind) {
	case ARG_VALUE:
		arg = fz_u8(&r->in);
		break;
	case ARG_NONE:
		break;
	case ARG_FDPTR: {
		int32_t v = slot_fd(r, fz_u8(&r->in));
		memcpy(arg_page + PAGE - 4, &v, 4);
		arg = (unsigned long)(uintptr_t)(arg_page + PAGE - 4);
		break;
	}
	case ARG_NAME: {
		/* The functions of the VFIO groups, the mdevs, and names that are not. */
		static const char *const names[] = {
			"0000:00:02.0", "0000:00:03.0", "dmatest0", "00:02.0", "", "0000:01:00.0",
			"0000:00:04.0", "0000:00:04.1", "0000:02:00.0",
			"f0220000-0000-4000-8000-000000000001",
			"f0220000-0000-4000-8000-000000000002",
			"f0220000-0000-4000-8000-000000000003",
		};
		const char *n = names[fz_u8(&r->in) % (sizeof(names) / sizeof(names[0]))];
		size_t l = strlen(n) + 1;
		memcpy(arg_page + PAGE - l, n, l);
		arg = (unsigned long)(uintptr_t)(arg_page + PAGE - l);
		break;
	}
	case ARG_STRUCT: {
		unsigned len = fz_u8(&r->in) % 161;
		uint8_t *s = arg_page + ((PAGE - len) & ~7u);
		memset(arg_page, 0, PAGE);
		fz_bytes(&r->in, s, len);
		unsigned avail = (unsigned)(arg_page + PAGE - s);
		for (unsigned i = 0; i < 3; i++)
			fix_u64(s, avail, c->ptr[i]);
		fix_fd(r, s, avail, c->fd);
		if (c->special == SP_TEST)
			fix_test_cmd(r, s, avail);
		else if (c->special == SP_IRQS)
			fix_irqs(r, s, avail);
		arg = (unsigned long)(uintptr_t)s;
		break;
	}
	}
	keep_fd(r, uiommu_ioctl(fd, c->nr, arg));
}

static void do_open(struct run *r)
{
	unsigned slot = fz_u8(&r->in) % SLOTS;
	const char *path = nodes[fz_u8(&r->in) % nr_nodes];
	if (r->fd[slot] >= 0)
		uiommu_close(r->fd[slot]);
	r->fd[slot] = uiommu_open(host, path, O_RDWR | (fz_u8(&r->in) & 1 ? O_NONBLOCK : 0));
}

static void do_rw(struct run *r, unsigned op)
{
	int fd = slot_fd(r, fz_u8(&r->in));
	unsigned region = fz_u8(&r->in) % 10;
	int64_t off = ((int64_t)region << 40) | fz_u16(&r->in);
	size_t len = fz_u16(&r->in) % (SCRATCH_SIZE + 1);
	void *buf = (void *)(uintptr_t)steer_ptr(fz_u64(&r->in) | 1);
	switch (op) {
	case 0:
		uiommu_pread(fd, buf, len, off);
		break;
	case 1:
		uiommu_pwrite(fd, buf, len, off);
		break;
	case 2:
		uiommu_read(fd, buf, len);
		break;
	default:
		uiommu_write(fd, buf, len);
		break;
	}
}

static void do_mmap(struct run *r)
{
	int fd = slot_fd(r, fz_u8(&r->in));
	size_t len = (size_t)(fz_u8(&r->in) % 4 + 1) * PAGE;
	int64_t off = ((int64_t)(fz_u8(&r->in) % 10) << 40) | ((int64_t)fz_u8(&r->in) << 12);
	int prot = fz_u8(&r->in) & (PROT_READ | PROT_WRITE | PROT_EXEC);
	void *p;
	if (!uiommu_mmap(fd, NULL, len, prot, fz_u8(&r->in) & 1 ? MAP_PRIVATE : MAP_SHARED, off,
			 &p))
		uiommu_munmap(p, len);
}

static void do_dup(struct run *r)
{
	int fd = slot_fd(r, fz_u8(&r->in));
	unsigned slot = fz_u8(&r->in) % SLOTS;
	int n = uiommu_dup(fd, 0, O_CLOEXEC);
	if (n < 0)
		return;
	if (r->fd[slot] >= 0)
		uiommu_close(r->fd[slot]);
	r->fd[slot] = n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { .in = { data, size } };
	for (unsigned i = 0; i < SLOTS; i++)
		r.fd[i] = -1;
	for (unsigned steps = 0; r.in.n && steps < 256; steps++) {
		uint8_t op = fz_u8(&r.in);
		switch (op % 16) {
		case 0:
		case 1:
			do_open(&r);
			break;
		case 2:
			do_rw(&r, op >> 4);
			break;
		case 3:
			do_mmap(&r);
			break;
		case 4: {
			unsigned slot = fz_u8(&r.in) % SLOTS;
			if (r.fd[slot] >= 0)
				uiommu_close(r.fd[slot]);
			r.fd[slot] = -1;
			break;
		}
		case 5:
			do_dup(&r);
			break;
		default:
			do_ioctl(&r);
			break;
		}
	}
	/* The process exits, as far as this host is concerned. */
	fdtable_close_host(host);
	FUZZ_ASSERT(uiommu_pinned_pages() == 0, "%llu pages still pinned after every close",
		    (unsigned long long)uiommu_pinned_pages());
	return 0;
}

static int add_node(const char *path, void *arg)
{
	(void)arg;
	if (nr_nodes < MAX_NODES)
		nodes[nr_nodes++] = strdup(path);
	return 0;
}

/* The built-in host with the selftest interface, the DSA's engines
 * inline (deterministic, no blocking on faults) and an mdev of each kind. */
static char *topology(void)
{
	const char *def = uiommu_default_topology();
	static const char key[] = "\"model\": \"dsa\"";
	const char *at = strstr(def, key);
	if (!at)
		return strdup(def);
	static const char opts[] =
		", \"options\": { \"inline_engines\": true, \"block_on_fault\": false }";
	size_t head = (size_t)(at - def) + sizeof(key) - 1;
	char *t = malloc(strlen(def) + sizeof(opts));
	memcpy(t, def, head);
	strcpy(t + head, opts);
	strcat(t, def + head);
	return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char *json = topology(), err[256];
	struct uiommu_host_opts o = { .topology_json = json, .selftest = true };
	if (uiommu_host_new(&o, &host, err, sizeof(err))) {
		fprintf(stderr, "fuzz_ioctl: host: %s\n", err);
		abort();
	}
	free(json);
	struct device *m;
	uiommu_mdev_create(host, "dsa-1dwq-v1", "f0220000-0000-4000-8000-000000000001", &m);
	uiommu_mdev_create(host, "dsa-1swq-v1", "f0220000-0000-4000-8000-000000000002", &m);
	uiommu_mdev_create(host, "swcopy-v1", "f0220000-0000-4000-8000-000000000003", &m);
	uiommu_for_each_node(host, add_node, NULL);
	arg_page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(arg_page + PAGE, PAGE, PROT_NONE);
	uint8_t *s = mmap(NULL, SCRATCH_SIZE + 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(s, PAGE, PROT_NONE);
	mprotect(s + PAGE + SCRATCH_SIZE, PAGE, PROT_NONE);
	scratch = s + PAGE;
	memfd = memfd_create("fuzz", MFD_ALLOW_SEALING);
	if (ftruncate(memfd, 1 << 20))
		abort();
	efd[0] = eventfd(0, EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return 0;
}
