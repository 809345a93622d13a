// Tests share libtorch's process-wide state (seed, live-tensor count), so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
