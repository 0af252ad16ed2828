using System.Collections.Concurrent;

namespace Stackless.Emu.Orleans.Tests.Infrastructure;

/// <summary>
/// Where test tasklets write what they did, wherever they run (all silos share the test process). A tasklet refers to
/// its entry by a string key, which pickles; the entry itself stays here.
/// </summary>
public static class Ledger
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Entries = new(StringComparer.Ordinal);

    /// <summary>Appends <paramref name="line"/> under <paramref name="key"/>.</summary>
    public static void Add(string key, string line) => Entries.GetOrAdd(key, _ => new ConcurrentQueue<string>()).Enqueue(line);

    /// <summary>The lines under <paramref name="key"/>, in order.</summary>
    public static List<string> Lines(string key) => Entries.TryGetValue(key, out var lines) ? [.. lines] : [];

    /// <summary>A fresh key for one test.</summary>
    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Waits until <paramref name="condition"/> holds for the lines under <paramref name="key"/> (a generous guard).</summary>
    public static Task<List<string>> WaitAsync(string key, Func<List<string>, bool> condition) =>
        Eventually.ValueAsync(() => Task.FromResult(Lines(key)), condition, $"ledger '{key}'");
}

/// <summary>Waiting for a state reached by other threads or silos, with a generous guard instead of a timing assertion.</summary>
public static class Eventually
{
    /// <summary>The longest a test waits for something that should happen.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromMinutes(5);

    /// <summary>Polls <paramref name="read"/> until <paramref name="condition"/> holds; fails after <see cref="Guard"/>.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        T value;
        while (true)
        {
            value = await read();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"{what} did not reach the expected state within {Guard}; last: {Describe(value)}");
            }

            await Task.Delay(20);
        }
    }

    private static string Describe<T>(T value) => value is System.Collections.IEnumerable items and not string
        ? "[" + string.Join(", ", items.Cast<object?>()) + "]"
        : value?.ToString() ?? "null";
}
