using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace Stackless.Emu.Orleans.Tests.Infrastructure;

/// <summary>
/// Grain storage shared by every silo of the test process, standing in for a database: unlike Orleans' memory storage
/// (a grain on some silo) it survives killing any silo. States are stored serialized, so every read is a copy, and a
/// write must carry the ETag of the last read or write (optimistic concurrency, as real stores do): an activation left
/// over from a killed silo cannot overwrite the state its successor has moved on from.
/// </summary>
public sealed class ProcessStorage : IGrainStorage
{
    private static readonly ConcurrentDictionary<string, (byte[] Data, string ETag)> Entries = new(StringComparer.Ordinal);
    private readonly Serializer _serializer;

    public ProcessStorage(Serializer serializer) => _serializer = serializer;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Entries.TryGetValue(Key(stateName, grainId), out var entry))
        {
            grainState.State = _serializer.Deserialize<T>(entry.Data);
            grainState.ETag = entry.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        var etag = Guid.NewGuid().ToString("N");
        lock (Entries)
        {
            CheckETag(key, grainState.ETag);
            Entries[key] = (_serializer.SerializeToArray(grainState.State), etag);
        }

        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        lock (Entries)
        {
            CheckETag(key, grainState.ETag);
            Entries.TryRemove(key, out _);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
        return Task.CompletedTask;
    }

    private static void CheckETag(string key, string? etag)
    {
        var stored = Entries.TryGetValue(key, out var entry) ? entry.ETag : null;
        if (!string.Equals(stored, etag, StringComparison.Ordinal))
        {
            throw new InconsistentStateException($"ETag mismatch on {key}: stored {stored ?? "none"}, written {etag ?? "none"}.", stored ?? "", etag ?? "");
        }
    }

    private static string Key(string stateName, GrainId grainId) => $"{stateName}/{grainId}";
}
