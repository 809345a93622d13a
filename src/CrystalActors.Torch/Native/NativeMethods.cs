using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CrystalActors.Torch.Native;

/// <summary>
/// P/Invoke declarations for the crystal_torch bridge (native/include/crystal_torch.h), one
/// partial file per native area. Input tensors are passed as <see cref="TensorHandle"/> so that
/// the marshaller keeps them alive for the duration of the call; new tensors come back as raw
/// pointers that <see cref="Tensor"/> wraps at once.
/// </summary>
internal static partial class NativeMethods
{
    internal const string Library = "crystal_torch";

    [ModuleInitializer]
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        QuietGlog();
        foreach (var candidate in CandidatePaths())
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        throw new DllNotFoundException(
            "libcrystal_torch.so was not found. Build it with scripts/bootstrap.sh (or cmake -S native -B native/build " +
            "&& cmake --build native/build), or point CRYSTAL_TORCH_LIB at the file. Looked in: " +
            string.Join(", ", CandidatePaths()));
    }

    /// <summary>The level below which glog drops messages when the user has not chosen one: 2 = ERROR.</summary>
    internal const string GlogMinLogLevel = "2";

    /// <summary>
    /// Silences libtorch's glog warnings ("scatter_reduce() is in beta ...": noise on a user's console, outside every log
    /// file) unless GLOG_minloglevel is already set (GLOG_minloglevel=0 shows them again). glog reads the variable once,
    /// when libglog is loaded with the bridge, and from the process's native environment, which
    /// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not change on Linux: hence libc's setenv,
    /// before the bridge is loaded.
    /// </summary>
    private static void QuietGlog()
    {
        if (!OperatingSystem.IsWindows()) setenv("GLOG_minloglevel", GlogMinLogLevel, overwrite: 0);
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    /// <summary>CRYSTAL_TORCH_LIB, then native/build of an enclosing checkout, then next to the assembly.</summary>
    internal static IEnumerable<string> CandidatePaths()
    {
        if (Environment.GetEnvironmentVariable("CRYSTAL_TORCH_LIB") is { Length: > 0 } fromEnv)
            yield return fromEnv;
        // A checkout's fresh build wins over a copy next to the assembly, which may be stale.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "native", "build", "libcrystal_torch.so");
            if (File.Exists(path)) { yield return path; break; }
        }
        yield return Path.Combine(AppContext.BaseDirectory, "libcrystal_torch.so");
    }

    [DllImport(Library)] internal static extern IntPtr ct_last_error();
    [DllImport(Library)] internal static extern IntPtr ct_version();
    [DllImport(Library)] internal static extern IntPtr ct_build_config();
    [DllImport(Library)] internal static extern IntPtr ct_parallel_info();
    [DllImport(Library)] internal static extern void ct_manual_seed(ulong seed);
    [DllImport(Library)] internal static extern void ct_set_num_threads(int n);
    [DllImport(Library)] internal static extern void ct_set_num_threads_light(int n);
    [DllImport(Library)] internal static extern int ct_get_num_threads();
    [DllImport(Library)] internal static extern int ct_cuda_is_available();
    [DllImport(Library)] internal static extern int ct_cuda_device_count();
    [DllImport(Library)] internal static extern int ct_set_grad_enabled(int enabled);
    [DllImport(Library)] internal static extern int ct_is_grad_enabled();
    [DllImport(Library)] internal static extern long ct_live_tensors();
    [DllImport(Library)] internal static extern int ct_profile_begin();
    [DllImport(Library)] internal static extern IntPtr ct_profile_end();
    [DllImport(Library)] internal static extern int ct_use_caching_cpu_allocator(long limitBytes);
    [DllImport(Library)] internal static extern long ct_cpu_cache_bytes();
    [DllImport(Library)] internal static extern void ct_cpu_cache_empty();

    internal static string LastError() => Marshal.PtrToStringUTF8(ct_last_error()) ?? "unknown libtorch error";

    internal static IntPtr Check(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw new TorchException(LastError());
        return handle;
    }

    internal static void Check(int status)
    {
        if (status != 0) throw new TorchException(LastError());
    }
}
