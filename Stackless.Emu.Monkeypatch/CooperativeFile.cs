using System.Text;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// <see cref="File"/>'s common members for tasklets: files are opened for asynchronous I/O
/// (<see cref="FileOptions.Asynchronous"/>) and wrapped in <see cref="CooperativeStream"/>s, and the whole-file helpers
/// suspend only the calling tasklet (main or hard); their <c>Async</c> forms pass through.
/// </summary>
/// <remarks>Thread safety: any thread: a synchronous member suspends the calling tasklet (main or hard) of the calling thread's scheduler; the streams it opens follow <see cref="CooperativeStream"/>'s rules.</remarks>
public static class CooperativeFile
{
    private const int BufferSize = 4096;

    /// <summary>Opens a file for asynchronous I/O, wrapped in a cooperative stream.</summary>
    public static CooperativeStream Open(string path, FileMode mode, FileAccess access = FileAccess.ReadWrite, FileShare share = FileShare.Read) =>
        new(new FileStream(path, mode, access, share, BufferSize, FileOptions.Asynchronous));

    /// <summary>Opens an existing file for reading.</summary>
    public static CooperativeStream OpenRead(string path) => Open(path, FileMode.Open, FileAccess.Read, FileShare.Read);

    /// <summary>Opens or creates a file for writing (like <see cref="File.OpenWrite"/>, it is not truncated).</summary>
    public static CooperativeStream OpenWrite(string path) => Open(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);

    /// <summary>Creates or truncates a file for writing.</summary>
    public static CooperativeStream Create(string path) => Open(path, FileMode.Create, FileAccess.Write, FileShare.None);

    /// <summary>A UTF-8 writer appending to the file (created if missing).</summary>
    public static StreamWriter AppendText(string path) =>
        new(Open(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false), BufferSize);

    /// <summary>A UTF-8 reader over the file.</summary>
    public static StreamReader OpenText(string path) => new(OpenRead(path), Encoding.UTF8, true, BufferSize);

    /// <summary>Reads the whole file as text, cooperatively.</summary>
    public static string ReadAllText(string path, Encoding? encoding = null) =>
        Cooperative.Wait(token => new ValueTask<string>(File.ReadAllTextAsync(path, encoding ?? Encoding.UTF8, token)), "CooperativeFile.ReadAllText()", "CooperativeFile.ReadAllTextAsync()");

    /// <summary>Reads the whole file as text.</summary>
    public static Task<string> ReadAllTextAsync(string path, Encoding? encoding = null, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => new ValueTask<string>(File.ReadAllTextAsync(path, encoding ?? Encoding.UTF8, token)), cancellationToken).AsTask();

    /// <summary>Writes <paramref name="contents"/> to the file (created or truncated), cooperatively.</summary>
    public static void WriteAllText(string path, string? contents, Encoding? encoding = null) =>
        Cooperative.Wait(token => new ValueTask(File.WriteAllTextAsync(path, contents, encoding ?? new UTF8Encoding(false), token)), "CooperativeFile.WriteAllText()", "CooperativeFile.WriteAllTextAsync()");

    /// <summary>Writes <paramref name="contents"/> to the file (created or truncated).</summary>
    public static Task WriteAllTextAsync(string path, string? contents, Encoding? encoding = null, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => new ValueTask(File.WriteAllTextAsync(path, contents, encoding ?? new UTF8Encoding(false), token)), cancellationToken).AsTask();

    /// <summary>Appends <paramref name="contents"/> to the file (created if missing), cooperatively.</summary>
    public static void AppendAllText(string path, string? contents, Encoding? encoding = null) =>
        Cooperative.Wait(token => new ValueTask(File.AppendAllTextAsync(path, contents, encoding ?? new UTF8Encoding(false), token)), "CooperativeFile.AppendAllText()", "CooperativeFile.AppendAllTextAsync()");

    /// <summary>Appends <paramref name="contents"/> to the file (created if missing).</summary>
    public static Task AppendAllTextAsync(string path, string? contents, Encoding? encoding = null, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => new ValueTask(File.AppendAllTextAsync(path, contents, encoding ?? new UTF8Encoding(false), token)), cancellationToken).AsTask();

    /// <summary>Reads the whole file, cooperatively.</summary>
    public static byte[] ReadAllBytes(string path) =>
        Cooperative.Wait(token => new ValueTask<byte[]>(File.ReadAllBytesAsync(path, token)), "CooperativeFile.ReadAllBytes()", "CooperativeFile.ReadAllBytesAsync()");

    /// <summary>Reads the whole file.</summary>
    public static Task<byte[]> ReadAllBytesAsync(string path, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => new ValueTask<byte[]>(File.ReadAllBytesAsync(path, token)), cancellationToken).AsTask();

    /// <summary>Writes <paramref name="bytes"/> to the file (created or truncated), cooperatively.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) =>
        Cooperative.Wait(token => new ValueTask(File.WriteAllBytesAsync(path, bytes, token)), "CooperativeFile.WriteAllBytes()", "CooperativeFile.WriteAllBytesAsync()");

    /// <summary>Writes <paramref name="bytes"/> to the file (created or truncated).</summary>
    public static Task WriteAllBytesAsync(string path, byte[] bytes, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => new ValueTask(File.WriteAllBytesAsync(path, bytes, token)), cancellationToken).AsTask();
}
