using System.Runtime.InteropServices;
using static CrystalActors.Torch.Native.NativeMethods;

namespace CrystalActors.Torch;

/// <summary>Process-wide libtorch settings.</summary>
public static class Torch
{
    /// <summary>Seeds libtorch's CPU and CUDA generators (weight init, Rand, Randn, RandInt).</summary>
    public static void ManualSeed(ulong seed) => ct_manual_seed(seed);

    /// <summary>Intra-op threads. On 2 shared cores, 1 can beat 2 (OpenMP spinning); measure.</summary>
    public static int NumThreads
    {
        get => ct_get_num_threads();
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "at least one thread");
            ct_set_num_threads(value);
        }
    }

    /// <summary>
    /// Sets the intra-op threads of the following ops on this thread (OpenMP's count, which libtorch's parallel
    /// loops read, and OpenBLAS's) without the rest of <see cref="NumThreads"/>'s setter, which rebuilds libtorch's
    /// thread pool (~6 ms): for switching around single calls and back. <see cref="NumThreads"/> reads it back.
    /// </summary>
    public static void SetCallThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "at least one thread");
        ct_set_num_threads_light(threads);
    }

    public static bool CudaIsAvailable => ct_cuda_is_available() != 0;
    public static int CudaDeviceCount => ct_cuda_device_count();
    public static bool IsGradEnabled => ct_is_grad_enabled() != 0;

    /// <summary>
    /// Makes freed CPU tensor blocks of 64 KiB and more stay cached for reuse, up to <paramref name="limitBytes"/>
    /// (native/src/allocator.cpp). Without it, every large activation of a training step is fresh memory from the
    /// kernel; with it, a batch-1024 Q-network step stops paying ~1 M page faults. Process-wide; idempotent (a
    /// second call changes the limit). Training and generation commands and the benchmarks turn it on.
    /// </summary>
    public static void UseCachingCpuAllocator(long limitBytes = 4L << 30)
    {
        if (limitBytes < 0) throw new ArgumentOutOfRangeException(nameof(limitBytes), limitBytes, "limit must be >= 0");
        Check(ct_use_caching_cpu_allocator(limitBytes));
    }

    /// <summary>Bytes held by the caching CPU allocator for reuse.</summary>
    public static long CpuCacheBytes => ct_cpu_cache_bytes();

    /// <summary>Returns every cached CPU block to the system.</summary>
    public static void EmptyCpuCache() => ct_cpu_cache_empty();

    /// <summary>Native tensors not yet freed, process-wide: the leak accounting of tests.</summary>
    public static long LiveTensors => ct_live_tensors();

    /// <summary>
    /// Starts libtorch's per-operator CPU profiler on this thread (backward functions included);
    /// <see cref="EndProfile"/> stops it. A diagnostic: it adds about a microsecond per op.
    /// </summary>
    public static void BeginProfile() => Check(ct_profile_begin());

    /// <summary>Stops the profiler; a tab-separated table op, calls, self_ms, total_ms, largest self time first.</summary>
    public static string EndProfile()
    {
        var p = ct_profile_end();
        if (p == IntPtr.Zero) throw new TorchException(LastError());
        return Marshal.PtrToStringUTF8(p) ?? "";
    }

    public static string Version => Marshal.PtrToStringUTF8(ct_version()) ?? "?";
    public static string BuildConfig => Marshal.PtrToStringUTF8(ct_build_config()) ?? "";
    public static string ParallelInfo => Marshal.PtrToStringUTF8(ct_parallel_info()) ?? "";
}

/// <summary>A human-readable summary of the libtorch this process runs on.</summary>
public static class TorchInfo
{
    /// <summary>The BLAS that libblas.so.3 resolves to (Debian alternatives), which decides matmul speed.</summary>
    public static string BlasInUse()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var i = line.IndexOf('/');
                if (i < 0) continue;
                var path = line[i..];
                if (path.Contains("openblas", StringComparison.OrdinalIgnoreCase)) return "OpenBLAS (" + path + ")";
                if (path.Contains("libmkl", StringComparison.OrdinalIgnoreCase)) return "MKL (" + path + ")";
                if (path.Contains("/blas/libblas", StringComparison.OrdinalIgnoreCase)) return "reference BLAS (" + path + ") — install libopenblas0-pthread";
            }
        }
        catch (IOException) { }
        return "unknown";
    }

    public static string Describe()
    {
        var lines = new List<string>
        {
            $"libtorch {Torch.Version}",
            $"threads {Torch.NumThreads}",
            $"cuda {(Torch.CudaIsAvailable ? $"yes ({Torch.CudaDeviceCount} devices)" : "no")}",
            $"blas {BlasInUse()}",
            "build config:",
            Torch.BuildConfig.TrimEnd(),
        };
        return string.Join(Environment.NewLine, lines);
    }
}
