using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace Stackless.Emu.Orleans.Tests.Infrastructure;

/// <summary>
/// Grain storage shared by every silo of the test process, standing in for a database: unlike Orleans' memory storage
/// (a grain on some silo) it survives killing any silo. States are stored serialized, so every read is a copy.
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
        var etag = Guid.NewGuid().ToString("N");
        Entries[Key(stateName, grainId)] = (_serializer.SerializeToArray(grainState.State), etag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Entries.TryRemove(Key(stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
        return Task.CompletedTask;
    }

    private static string Key(string stateName, GrainId grainId) => $"{stateName}/{grainId}";
}
